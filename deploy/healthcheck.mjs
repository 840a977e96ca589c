// Container healthcheck of every Node process in the Parley image (docker-compose.yml):
//   node deploy/healthcheck.mjs URL [TIMEOUT_MS]
// exits 0 when URL answers 2xx within the timeout, 1 otherwise. Node's own fetch: the image needs no curl.
const [url, timeoutArg] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: node deploy/healthcheck.mjs URL [TIMEOUT_MS]\n');
  process.exit(2);
}
const timeoutMs = Number(timeoutArg ?? 3000);
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  if (!res.ok) process.stderr.write(`${url}: HTTP ${res.status}\n`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  process.stderr.write(`${url}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
