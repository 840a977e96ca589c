// A stand-in service for the launcher's tests: listens on the port its variable names (`listenAfterMs` later, for a
// slow start), answers GET / with its pid, node flags, environment and when it started and listened, and exits
// with code 3 on GET /crash.
const { createServer } = require('node:http');

module.exports = function serve(portEnv, { listenAfterMs = 0 } = {}) {
  const startedAt = Date.now();
  let listeningAt;
  const server = createServer((req, res) => {
    if (req.url === '/crash') {
      res.end('bye');
      setImmediate(() => process.exit(3));
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ pid: process.pid, execArgv: process.execArgv, env: process.env, startedAt, listeningAt }));
  });
  setTimeout(() => {
    server.listen(Number(process.env[portEnv]), '127.0.0.1', () => {
      listeningAt = Date.now();
      console.log('listening');
    });
  }, listenAfterMs);
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
};
