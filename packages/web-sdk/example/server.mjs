#!/usr/bin/env node
// The example's backend: serves the page and the SDK, and creates each web call with YOUR API key, so that the page
// only ever sees the call's short-lived access token.
//
//   PARLEY_API_KEY=sk_... PARLEY_AGENT_ID=<uuid> node packages/web-sdk/example/server.mjs
//   open http://localhost:8080
//
// PARLEY_BASE_URL (default http://127.0.0.1:3000) is where this server reaches the API, PARLEY_PUBLIC_URL (default:
// the same) where the page does; PORT (default 8080) where this server listens.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';

const apiUrl = (process.env.PARLEY_BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const publicUrl = (process.env.PARLEY_PUBLIC_URL ?? apiUrl).replace(/\/+$/, '');
const apiKey = process.env.PARLEY_API_KEY;
const agentId = process.env.PARLEY_AGENT_ID;
if (!apiKey || !agentId) {
  process.stderr.write('Set PARLEY_API_KEY and PARLEY_AGENT_ID (the agent the page talks to).\n');
  process.exit(2);
}

const files = {
  '/': [new URL('./index.html', import.meta.url), 'text/html; charset=utf-8'],
  '/parley-web.min.js': [new URL('../dist/parley-web.min.js', import.meta.url), 'text/javascript; charset=utf-8'],
};

const server = createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/web-call') {
      // Your own checks go here (who is this visitor, which agent may they talk to).
      const r = await fetch(`${apiUrl}/v1/calls/web`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ agent_id: agentId, metadata: { source: 'web-sdk example' } }),
      });
      const call = await r.json();
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.ok ? { call_id: call.id, access_token: call.access_token, ice_servers: call.ice_servers, base_url: publicUrl } : call));
      return;
    }
    const file = files[req.url ?? ''];
    if (req.method !== 'GET' || !file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[1] });
    res.end(await readFile(file[0]));
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
  }
});
server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`web call example on http://localhost:${port}\n`);
});
