# One image for every Parley process: the five services (api, dialer, media, extractor, webhooks), the Asterisk
# simulator behind the `sandbox` trunk, and the scripted sandbox model. The command picks the process, e.g.
#   docker run parley node apps/dialer/dist/main.js
# docker-compose.yml runs each of them from this image.

# ---- build: install with the lockfile, compile, then keep production dependencies only ----
FROM node:20.20.2-bookworm-slim AS build

# What native addons compile against: apps/media's pocketsphinx binding (links libpocketsphinx/libsphinxbase),
# packages/audio's G.722 codec (plain C) and RTP engine (C++, node-addon-api) and smart-whisper (whisper.cpp from source); node-gyp needs python3, make and g++.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 make g++ pkg-config libpocketsphinx-dev libsphinxbase-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node's postinstall would otherwise fetch CUDA providers from NuGet on
# linux/x64; the image runs Silero VAD on the CPU build that the npm package ships.
# COMPUTE_BACKEND=cpu: smart-whisper would link OpenBLAS if the build stage happened to have it, and the runtime
# stage does not; plain CPU whisper.cpp runs everywhere.
ENV CI=true \
    TURBO_TELEMETRY_DISABLED=1 \
    ONNXRUNTIME_NODE_INSTALL=skip \
    COMPUTE_BACKEND=cpu
WORKDIR /app

# pnpm at exactly the version package.json's "packageManager" names (what .ci/run installs too).
COPY package.json ./
RUN npm install -g "pnpm@$(node -p "require('./package.json').packageManager.split('@')[1]")" \
 && pnpm --version

# Dependencies come from the lockfile alone, so this layer survives source changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN --mount=type=cache,id=parley-pnpm-store,target=/pnpm/store \
    pnpm fetch --store-dir /pnpm/store --reporter=append-only

COPY . .
RUN --mount=type=cache,id=parley-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --offline --store-dir /pnpm/store --reporter=append-only \
 && pnpm build \
 && test -f apps/media/native/pocketsphinx/build/Release/pocketsphinx_binding.node \
 && test -f packages/audio/native/g722/build/Release/parley_g722.node \
 && test -f packages/audio/native/rtp/build/Release/parley_rtp.node

# Production dependencies only. pnpm refuses to drop devDependencies from an existing node_modules, so it is
# relinked from the store; the media install script rebuilds the pocketsphinx binding on the way.
RUN --mount=type=cache,id=parley-pnpm-store,target=/pnpm/store \
    find . -name node_modules -type d -prune -exec rm -rf {} + \
 && pnpm install --prod --frozen-lockfile --offline --store-dir /pnpm/store --reporter=append-only \
 && rm -rf .turbo apps/*/.turbo packages/*/.turbo

# ---- runtime ----
FROM node:20.20.2-bookworm-slim AS runtime

# Run-time packages (the same list as .ci/run, without the -dev headers and compilers):
#   espeak-ng, flite: local TTS (media) and the simulator's far-end voices;
#   pocketsphinx, pocketsphinx-en-us, libpocketsphinx3, libsphinxbase3: local STT (binding libs + the en-us model);
#   sox: audio conversion; tini: PID 1 that forwards signals and reaps the TTS child processes.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      espeak-ng flite sox pocketsphinx pocketsphinx-en-us libpocketsphinx3 libsphinxbase3 tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Containers listen on every interface (the services default to 127.0.0.1 for a bare-metal install).
ENV NODE_ENV=production \
    API_HOST=0.0.0.0 DIALER_HOST=0.0.0.0 MEDIA_HOST=0.0.0.0 EXTRACTOR_HOST=0.0.0.0 WEBHOOKS_HOST=0.0.0.0 \
    SIM_HOST=0.0.0.0 SANDBOX_LLM_HOST=0.0.0.0 \
    RECORDINGS_DIR=/data/recordings
WORKDIR /app
# Owned by root: the processes only write to /tmp and the volumes below.
COPY --from=build /app /app

# The native addons load here, with only the run-time libraries: a missing one fails the build, not the first call.
RUN cd apps/media && node -e "require('./native/pocketsphinx/build/Release/pocketsphinx_binding.node'); require('../../packages/audio/native/rtp/build/Release/parley_rtp.node'); require('../../packages/audio/native/g722/build/Release/parley_g722.node'); require('smart-whisper'); require('onnxruntime-node')"

# Recordings and speech models live in volumes (docker-compose.yml); created here so the volumes start owned by `node`.
RUN mkdir -p /data/recordings /models && chown -R node:node /data /models
USER node

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "apps/api/dist/main.js"]
