// Builds one of the workspace's node-gyp addons at install, against Node's own headers (no download):
//   node ../../scripts/build-native-addon.mjs <addon dir> <output .node file> "<what a failed build means>" [--depends <dir or file>]...
// run as a package's `install` script (cwd: the package). Skipped when the addon is already built from the same
// sources for this Node ABI: every `pnpm install` in the workspace runs install scripts, and a rebuild would
// remove an addon a running process has loaded. A failed build does not fail the install; the package falls back
// or refuses at start as the message says.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const args = process.argv.slice(2);
// Sources outside the addon's directory that it includes (a shared header): a change to them rebuilds it too.
const depends = [];
for (let i = args.indexOf('--depends'); i >= 0; i = args.indexOf('--depends')) depends.push(...args.splice(i, 2).slice(1));
const [dirArg, outputName, ifFailed] = args;
if (!dirArg || !outputName) {
  console.error('usage: build-native-addon.mjs <addon dir> <output .node file> "<what a failed build means>"');
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')).name;
const dir = resolve(dirArg);
const output = join(dir, 'build', 'Release', outputName);
const stamp = join(dir, 'build', 'parley-abi');
const filesOf = (d) =>
  readdirSync(d)
    .filter((f) => f !== 'build')
    .map((f) => join(d, f));
const sources = [dir, ...depends.map((d) => resolve(d))].flatMap((d) => (statSync(d).isDirectory() ? filesOf(d) : [d]));

if (existsSync(output) && existsSync(stamp) && readFileSync(stamp, 'utf8') === process.versions.modules) {
  const built = statSync(output).mtimeMs;
  if (sources.every((s) => statSync(s).mtimeMs <= built)) process.exit(0);
}

let gyp;
try {
  gyp = createRequire(join(process.cwd(), 'package.json')).resolve('node-gyp/bin/node-gyp.js');
} catch {
  console.warn(`[${pkg}] node-gyp not found; ${outputName} not built: ${ifFailed}`);
  process.exit(0);
}
const nodedir = dirname(dirname(process.execPath));
const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--directory', dir], { stdio: 'inherit' });
if (result.status === 0) writeFileSync(stamp, process.versions.modules);
else console.warn(`[${pkg}] ${outputName} failed to build: ${ifFailed}`);
