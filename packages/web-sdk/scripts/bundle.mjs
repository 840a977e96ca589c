// The SDK as one minified ES module (dist/parley-web.min.js), for a <script type="module"> without a bundler, and
// its size: what a page downloads.
import { statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const out = new URL('../dist/parley-web.min.js', import.meta.url).pathname;
await build({ entryPoints: [new URL('../src/index.ts', import.meta.url).pathname], bundle: true, minify: true, format: 'esm', target: 'es2020', outfile: out, logLevel: 'warning' });
const bytes = statSync(out).size;
process.stderr.write(`@parley/web: dist/parley-web.min.js ${bytes} bytes minified, ${gzipSync(readFileSync(out)).length} gzipped\n`);
