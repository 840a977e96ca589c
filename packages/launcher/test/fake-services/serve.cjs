// A stand-in service for the launcher's tests: listens on the port its variable names, answers GET / with its pid
// and environment, and exits with code 3 on GET /crash.
const { createServer } = require('node:http');

module.exports = function serve(portEnv) {
  const server = createServer((req, res) => {
    if (req.url === '/crash') {
      res.end('bye');
      setImmediate(() => process.exit(3));
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ pid: process.pid, env: process.env }));
  });
  server.listen(Number(process.env[portEnv]), '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
};
