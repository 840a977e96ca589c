// Builds the in-process pocketsphinx binding (native/pocketsphinx) against the apt packages
// libpocketsphinx-dev and libsphinxbase-dev, with Node's own headers (no download). Skipped when
// the binding is already built from the same sources for this Node ABI (every `pnpm install` in
// the workspace runs this script; a rebuild would remove the binding while it runs).
// A failed build does not fail the install: the service then refuses STT_PROVIDER=pocketsphinx
// at start with a message naming the apt packages.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'native', 'pocketsphinx');
const output = join(dir, 'build', 'Release', 'pocketsphinx_binding.node');
const stamp = join(dir, 'build', 'parley-abi');
const sources = ['binding.gyp', 'pocketsphinx_binding.cc'].map((f) => join(dir, f));

if (existsSync(output) && existsSync(stamp) && readFileSync(stamp, 'utf8') === process.versions.modules) {
  const built = statSync(output).mtimeMs;
  if (sources.every((s) => statSync(s).mtimeMs <= built)) process.exit(0);
}

const require = createRequire(import.meta.url);
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  console.warn('[@parley/media] node-gyp not found; pocketsphinx binding not built');
  process.exit(0);
}
const nodedir = dirname(dirname(process.execPath));
const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--directory', dir], { stdio: 'inherit' });
if (result.status === 0) {
  writeFileSync(stamp, process.versions.modules);
} else {
  console.warn('[@parley/media] pocketsphinx binding failed to build: apt-get install pocketsphinx pocketsphinx-en-us libpocketsphinx-dev libsphinxbase-dev, then pnpm install again');
}
