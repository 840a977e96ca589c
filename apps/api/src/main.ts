import { loadApiConfig } from './config';
import { createApiApp } from './server';

createApiApp(loadApiConfig()).catch((err) => {
  // Config and connection errors at start: one clear line, then exit.
  process.stderr.write(`parley api failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
