// Builds the in-process pocketsphinx binding (native/pocketsphinx) against the apt packages
// libpocketsphinx-dev and libsphinxbase-dev. Node's own headers are used (no download).
// A failed build does not fail the install: the service then refuses STT_PROVIDER=pocketsphinx
// at start with a message naming the apt packages.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  console.warn('[@parley/media] node-gyp not found; pocketsphinx binding not built');
  process.exit(0);
}
const nodedir = dirname(dirname(process.execPath));
const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--directory', join(root, 'native', 'pocketsphinx')], { stdio: 'inherit' });
if (result.status !== 0) {
  console.warn('[@parley/media] pocketsphinx binding failed to build: apt-get install pocketsphinx pocketsphinx-en-us libpocketsphinx-dev libsphinxbase-dev, then pnpm install again');
}
