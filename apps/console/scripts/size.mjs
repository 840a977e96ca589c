// Prints the production bundle's size as JSON (raw and gzipped, per file and in all), after `vite build`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(js|css|html)$/.test(name)) {
      const bytes = readFileSync(path);
      files.push({ file: relative(dist, path), bytes: bytes.length, gzip_bytes: gzipSync(bytes).length });
    }
  }
};
walk(dist);
const total = files.reduce((t, f) => ({ bytes: t.bytes + f.bytes, gzip_bytes: t.gzip_bytes + f.gzip_bytes }), { bytes: 0, gzip_bytes: 0 });
console.log(JSON.stringify({ console_bundle: { ...total, files } }));
