import { createLogger } from '@parley/service-kit';
import { startAsteriskSim } from './server';

/** Runs the simulator as a process: `node packages/asterisk-sim/dist/main.js`. */
async function main(): Promise<void> {
  // The services' logger: the trunk credentials the dialer pushes and the ARI password are redacted from its lines.
  const log = createLogger('asterisk-sim');
  const env = process.env;
  const port = env.SIM_PORT === undefined ? 8188 : Number(env.SIM_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    log.error({ SIM_PORT: env.SIM_PORT }, 'SIM_PORT must be a port number');
    process.exit(2);
  }
  const sim = await startAsteriskSim({
    port,
    host: env.SIM_HOST ?? '127.0.0.1',
    username: env.SIM_ARI_USER ?? 'parley',
    password: env.SIM_ARI_PASSWORD ?? 'parley',
    rtpHost: env.SIM_RTP_HOST,
    scenariosDir: env.SIM_SCENARIOS_DIR || undefined,
    endpoints: env.SIM_ENDPOINTS ? env.SIM_ENDPOINTS.split(',').map((s) => s.trim()).filter(Boolean) : [],
    inboundApp: env.SIM_INBOUND_APP || undefined,
    logger: log,
  });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    sim.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: (error as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
