import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAsteriskConfig, section, value } from './support/asterisk-config';
import { aptPackages, dockerIgnores, imageTag, isPinnedImage, readDockerfile, type Stage } from './support/dockerfile';
import { path, read } from './support/repo';

/** FROM lines name a pinned image or an earlier stage; COPY --from names an earlier stage. */
function expectWellFormedStages(file: string, stages: Stage[]) {
  const names: string[] = [];
  for (const stage of stages) {
    if (!names.includes(stage.image)) expect(isPinnedImage(stage.image), `${file}:${stage.line} FROM ${stage.image} is not pinned`).toBe(true);
    for (const ins of stage.instructions) {
      const from = /--from=(\S+)/.exec(ins.args)?.[1];
      if (ins.keyword === 'COPY' && from) expect(names, `${file}:${ins.line} COPY --from=${from}`).toContain(from);
    }
    if (stage.name) {
      expect(names, `${file}: stage ${stage.name} defined twice`).not.toContain(stage.name);
      names.push(stage.name);
    }
  }
}

function lastOf(stage: Stage, keyword: string): string | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
}

describe('the pinned-image rule', () => {
  it('takes exact releases and refuses floating tags', () => {
    for (const ok of ['node:20.20.2-bookworm-slim', 'nats:2.11.9-alpine', 'postgres:16.10-bookworm', 'debian:bookworm-20251229-slim', 'ollama/ollama:0.11.4', `redis@sha256:${'a'.repeat(64)}`]) {
      expect(isPinnedImage(ok), ok).toBe(true);
    }
    for (const bad of ['node', 'node:latest', 'node:20', 'node:20-bookworm-slim', 'nats:2.11-alpine', 'postgres:16', 'debian:bookworm-slim', 'ollama/ollama:latest']) {
      expect(isPinnedImage(bad), bad).toBe(false);
    }
  });
});

describe('the .dockerignore matcher', () => {
  it('follows Docker: parents, **, and the last matching rule', () => {
    const rules = '**/node_modules\ndist\n*.log\n!keep.log\n';
    expect(dockerIgnores(rules, 'apps/api/node_modules/x/index.js')).toBe(true);
    expect(dockerIgnores(rules, 'node_modules/x')).toBe(true);
    expect(dockerIgnores(rules, 'dist/main.js')).toBe(true);
    expect(dockerIgnores(rules, 'apps/api/dist/main.js')).toBe(false);
    expect(dockerIgnores(rules, 'debug.log')).toBe(true);
    expect(dockerIgnores(rules, 'keep.log')).toBe(false);
  });
});

describe('Dockerfile (the Parley image)', () => {
  const stages = readDockerfile(path('Dockerfile'));
  const build = stages.find((s) => s.name === 'build')!;
  const runtime = stages.at(-1)!;
  const pkg = JSON.parse(read('package.json')) as { packageManager: string; engines: { node: string } };

  it('is a pinned multi-stage build', () => {
    expectWellFormedStages('Dockerfile', stages);
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
  });

  it('builds and runs on the same Node release, one that package.json accepts', () => {
    // The pocketsphinx addon is compiled in `build` and loaded in `runtime`: same Node ABI.
    expect(runtime.image).toBe(build.image);
    const m = /^node:(\d+)\.(\d+)\.(\d+)-bookworm-slim$/.exec(build.image);
    expect(m, build.image).not.toBeNull();
    const [major, minor] = [Number(m![1]), Number(m![2])];
    const [wantMajor, wantMinor] = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node)!.slice(1).map(Number);
    expect(major).toBe(wantMajor);
    expect(minor).toBeGreaterThanOrEqual(wantMinor!);
  });

  it('installs pnpm at the packageManager version, from the lockfile, then keeps production dependencies only', () => {
    const runs = build.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((r) => r.includes(`npm install -g "pnpm@$(node -p "require('./package.json').packageManager.split('@')[1]")"`))).toBe(true);
    expect(pkg.packageManager).toMatch(/^pnpm@\d+\.\d+\.\d+$/);
    const all = runs.join('\n');
    expect(all).toMatch(/pnpm install --frozen-lockfile/);
    expect(all).toMatch(/pnpm build/);
    expect(all).toMatch(/pnpm install --prod --frozen-lockfile/);
    expect(all.indexOf('pnpm build')).toBeLessThan(all.indexOf('pnpm install --prod'));
  });

  it('has the system packages scripts/setup.sh installs: libraries and tools at run time, headers and compilers at build time', () => {
    const ci = /APT_PACKAGES=\(([^)]*)\)/.exec(read('scripts', 'setup.sh'))![1]!.trim().split(/\s+/);
    const buildTools = new Set(['python3', 'make', 'g++']);
    // What each -dev package's library is called at run time.
    const runtimeLibrary: Record<string, string> = { 'libpocketsphinx-dev': 'libpocketsphinx3', 'libsphinxbase-dev': 'libsphinxbase3' };
    const inBuild = aptPackages(build);
    const inRuntime = aptPackages(runtime);
    for (const p of ci) {
      if (p.endsWith('-dev')) {
        expect(inBuild, p).toContain(p);
        expect(runtimeLibrary[p], `run-time library of ${p}`).toBeDefined();
        expect(inRuntime, runtimeLibrary[p]).toContain(runtimeLibrary[p]);
      } else if (buildTools.has(p)) {
        expect(inBuild, p).toContain(p);
      } else {
        expect(inRuntime, p).toContain(p);
      }
    }
    for (const p of inRuntime) expect(p, 'no headers in the runtime image').not.toMatch(/-dev$/);
  });

  it('loads every native addon of the image in the runtime stage, where only run-time libraries are', () => {
    const built = read('pnpm-workspace.yaml').split('onlyBuiltDependencies:')[1]!.split('\n').map((l) => /^\s+-\s+"?([^"\s]+)"?$/.exec(l)?.[1]).filter(Boolean);
    const imagePackages = ['apps/api', 'apps/dialer', 'apps/media', 'apps/extractor', 'apps/webhooks', 'packages/asterisk-sim', 'packages/sandbox-llm'];
    const prodDeps = new Set(imagePackages.flatMap((p) => Object.keys((JSON.parse(read(p, 'package.json')) as { dependencies?: object }).dependencies ?? {})));
    // onnxruntime-node ships its CPU binaries in the npm package, so it is a native addon without an install script.
    const prebuiltNative = ['onnxruntime-node'];
    const nativeAtRunTime = [...built, ...prebuiltNative].filter((d) => prodDeps.has(d!));
    expect(nativeAtRunTime).toEqual(expect.arrayContaining(['onnxruntime-node', 'smart-whisper']));
    const check = runtime.instructions.find((i) => i.keyword === 'RUN' && i.args.includes('node -e'))?.args ?? '';
    for (const d of nativeAtRunTime) expect(check, `runtime stage requires ${d}`).toContain(`require('${d}')`);
    expect(check).toContain("require('./native/pocketsphinx/build/Release/pocketsphinx_binding.node')");
    // The workspace's own addons (the media service refuses nothing without them, but runs slower and late).
    expect(check).toContain("require('../../packages/audio/native/rtp/build/Release/parley_rtp.node')");
    expect(check).toContain("require('../../packages/audio/native/g722/build/Release/parley_g722.node')");
  });

  it('runs as a non-root user under an init, api by default', () => {
    expect(lastOf(runtime, 'USER')).toBe('node');
    expect(lastOf(runtime, 'ENTRYPOINT')).toBe('["/usr/bin/tini", "--"]');
    expect(aptPackages(runtime)).toContain('tini');
    expect(lastOf(runtime, 'CMD')).toBe('["node", "apps/api/dist/main.js"]');
  });

  it('sends the workspace and the deploy scripts to the build, not what the build makes', () => {
    const ignore = read('.dockerignore');
    const workspace = read('pnpm-workspace.yaml')
      .split('\n')
      .map((l) => /^\s+-\s+(\S+)$/.exec(l)?.[1])
      .filter((g): g is string => Boolean(g) && !g!.startsWith('"'));
    // Workspace globs here are `dir` or `dir/*`.
    const manifests = workspace
      .flatMap((g) => (g.endsWith('/*') ? readdirSync(path(g.slice(0, -2))).map((d) => `${g.slice(0, -2)}/${d}`) : [g]))
      .map((dir) => `${dir}/package.json`)
      .filter((f) => existsSync(path(f)));
    expect(manifests).toEqual(expect.arrayContaining(['apps/api/package.json', 'deploy/package.json']));
    const needed = ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc', 'turbo.json', 'tsconfig.base.json', ...manifests, 'deploy/healthcheck.mjs', 'deploy/fetch-whisper-model.mjs', 'apps/media/native/pocketsphinx/binding.gyp', 'packages/audio/native/g722/binding.gyp', 'packages/audio/native/rtp/binding.gyp', 'packages/audio/native/rtp/rtp_engine.cc', 'scripts/build-native-addon.mjs'];
    for (const f of needed) expect(dockerIgnores(ignore, f), `${f} must reach the build`).toBe(false);
    for (const f of ['node_modules/x', 'apps/api/node_modules/x', 'apps/api/dist/main.js', 'apps/media/native/pocketsphinx/build/Release/x.node', 'packages/audio/native/g722/build/Release/x.node', 'packages/audio/native/rtp/build/Release/x.node', '.env', '.git/HEAD']) {
      expect(dockerIgnores(ignore, f), `${f} must stay out of the build`).toBe(true);
    }
    expect(dockerIgnores(ignore, '.env.example')).toBe(false);
  });
});

describe('deploy/asterisk/Dockerfile', () => {
  const stages = readDockerfile(path('deploy/asterisk/Dockerfile'));
  const build = stages[0]!;
  const runtime = stages.at(-1)!;
  const args = Object.fromEntries(build.instructions.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]));
  const runs = build.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');

  it('is a pinned multi-stage build on one Debian release', () => {
    expectWellFormedStages('deploy/asterisk/Dockerfile', stages);
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(runtime.image).toBe(build.image);
    expect(imageTag(build.image)).toMatch(/^bookworm-\d{8}-slim$/);
  });

  it('builds the Asterisk 22 LTS release the fixtures were recorded with, from the checked official tarball', () => {
    const fixtureVersion = /Asterisk (22\.\d+\.\d+)/.exec(read('packages/asterisk-sim/fixtures/asterisk-22/README.md'))![1];
    expect(args.ASTERISK_VERSION).toBe(fixtureVersion);
    expect(args.ASTERISK_SHA256).toMatch(/^[0-9a-f]{64}$/);
    expect(runs).toContain('https://downloads.asterisk.org/pub/telephony/asterisk/releases/$tarball');
    expect(runs).toContain('sha256sum -c');
    expect(runs).toContain('--with-pjproject-bundled');
    // A portable image: no -march=native.
    expect(runs).toContain('--disable BUILD_NATIVE');
    expect(runs).toContain('menuselect/menuselect --check-deps menuselect.makeopts');
  });

  it('runs Asterisk as its own user with Parley\'s configs and the entrypoint that renders ARI and NAT settings', () => {
    expect(lastOf(runtime, 'USER')).toBe('asterisk');
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toContain('--chown=root:root *.conf /etc/asterisk/');
    expect(copies).toContain('--chmod=0755 docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh');
    expect(lastOf(runtime, 'ENTRYPOINT')).toBe('["/usr/local/bin/docker-entrypoint.sh"]');
    expect(runtime.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n')).toContain('chown -R asterisk:asterisk /etc/asterisk/parley');
  });

  it('exposes SIP, the RTP range of rtp.conf and ARI', () => {
    const rtp = section(parseAsteriskConfig(read('deploy/asterisk/rtp.conf')), 'general');
    const exposed = lastOf(runtime, 'EXPOSE')!.split(/\s+/);
    expect(exposed).toEqual(expect.arrayContaining(['5060/udp', '5060/tcp', `${value(rtp, 'rtpstart')}-${value(rtp, 'rtpend')}/udp`, '8088/tcp']));
  });
});
