import { appointmentReminderScript } from './appointment-reminder';
import { startSandboxLlm } from './server';

/** `node packages/sandbox-llm/dist/main.js`: the scripted sandbox model used by `pnpm demo` when no LLM_BASE_URL is set. */
async function main(): Promise<void> {
  const port = Number(process.env.SANDBOX_LLM_PORT ?? 8191);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SANDBOX_LLM_PORT must be a port number (got ${JSON.stringify(process.env.SANDBOX_LLM_PORT)})`);
  const host = process.env.SANDBOX_LLM_HOST ?? '127.0.0.1';
  const llm = await startSandboxLlm({ port, host, script: appointmentReminderScript, maxRecorded: 1000 });
  process.stdout.write(`${JSON.stringify({ level: 'info', service: 'sandbox-llm', url: llm.url, script: appointmentReminderScript.name, msg: 'scripted sandbox model listening (not a real LLM)' })}\n`);
  const stop = () => void llm.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox-llm: ${(err as Error).message}\n`);
  process.exit(1);
});
