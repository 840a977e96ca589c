require('./serve.cjs')('API_PORT', { listenAfterMs: 300 });
