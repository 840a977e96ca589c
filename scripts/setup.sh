#!/usr/bin/env bash
# One command from a fresh clone to a working Parley on Debian/Ubuntu with Node 20:
#   scripts/setup.sh          install what is missing (system packages, pnpm, node modules), build, start PostgreSQL and NATS
#   scripts/setup.sh demo     the same, then `pnpm demo`
#   scripts/setup.sh test     the same, then `pnpm test` (what CI runs)
# System packages come from apt: directly as root, through sudo otherwise; it prints what it installs and asks
# nothing it cannot answer itself. Run again any time: what is already there is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

command -v node >/dev/null || die "Node.js 20 or later is needed (https://nodejs.org, or Debian/Ubuntu's nodejs package)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old: Parley needs 20 or later"

if [ "$(id -u)" = 0 ]; then as_root=(); elif command -v sudo >/dev/null; then as_root=(sudo); else as_root=(none); fi
apt_updated=0
apt_install() {
  [ "${as_root[0]:-}" = none ] && die "not root and no sudo: install these packages yourself, then run this again: $*"
  command -v apt-get >/dev/null || die "no apt-get here: install the equivalents of these packages yourself, then run this again: $*"
  say "installing system packages: $*"
  if [ "$apt_updated" = 0 ]; then "${as_root[@]}" apt-get update -qq; apt_updated=1; fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Speech engines (media service, simulator), what the native addons build against, and the browser the console's and
# web calls' tests drive. PostgreSQL and NATS are handled by ensure-services.sh below, only when not already running.
APT_PACKAGES=(espeak-ng flite sox pocketsphinx pocketsphinx-en-us libpocketsphinx-dev libsphinxbase-dev python3 make g++)
# The Python SDK (sdks/python) and its tests: httpx is its one dependency; pip (with setuptools) installs it; mypy checks its types.
APT_PACKAGES+=(python3-httpx python3-pytest python3-pip mypy)
[ "${PARLEY_SETUP_BROWSER:-1}" = 1 ] && APT_PACKAGES+=(chromium)
missing=()
# Installed, not merely known to dpkg: a removed package keeps its config files and `dpkg -s` still succeeds.
for p in "${APT_PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; else say "system packages: all present"; fi

# pnpm at the version package.json pins (corepack enable fails its signature check on some machines: npm instead).
want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null || [ "$(pnpm --version)" != "$want_pnpm" ]; then
  say "installing pnpm $want_pnpm with npm"
  if ! npm install -g "pnpm@$want_pnpm" >/dev/null 2>&1; then
    [ "${as_root[0]:-}" = none ] && die "npm install -g pnpm@$want_pnpm failed; install pnpm $want_pnpm yourself"
    "${as_root[@]}" npm install -g "pnpm@$want_pnpm" >/dev/null
  fi
fi

if [ "${PARLEY_SETUP_SERVICES:-1}" = 1 ]; then
  if [ "${as_root[0]:-}" = none ]; then
    say "not root and no sudo: PostgreSQL and NATS are not checked (pnpm demo starts its own when they are missing)"
  else
    "${as_root[@]}" scripts/ensure-services.sh
  fi
fi

say "installing node modules"
pnpm install --frozen-lockfile --reporter=append-only
say "building"
pnpm -s build

case "${1:-}" in
  demo) say "ready: running the demo"; exec pnpm demo ;;
  test) say "ready: running the tests"; exec pnpm test ;;
  '') say "ready: try 'pnpm demo', 'pnpm start' or 'pnpm test'" ;;
  *) die "unknown argument '$1' (use demo, test or nothing)" ;;
esac
