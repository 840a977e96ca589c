/** The processes of one Parley install, in start order, with how to tell each is ready. */
export type ProcessName = 'asterisk-sim' | 'sandbox-llm' | 'api' | 'dialer' | 'media' | 'extractor' | 'webhooks';

export interface ProcessSpec {
  name: ProcessName;
  /** Script path relative to the repository root. */
  entry: string;
  /** Env var that sets its HTTP port, and the port it uses by default. */
  portEnv: string;
  defaultPort: number;
  /** GET path answering 2xx once it is ready. */
  readyPath: string;
  /** Node options before the script, as the package's `start` script has them. */
  nodeArgs?: readonly string[];
}

export const PROCESSES: readonly ProcessSpec[] = [
  { name: 'asterisk-sim', entry: 'packages/asterisk-sim/dist/main.js', portEnv: 'SIM_PORT', defaultPort: 8188, readyPath: '/sim/calls' },
  { name: 'sandbox-llm', entry: 'packages/sandbox-llm/dist/main.js', portEnv: 'SANDBOX_LLM_PORT', defaultPort: 8191, readyPath: '/v1/models' },
  { name: 'api', entry: 'apps/api/dist/main.js', portEnv: 'API_PORT', defaultPort: 3000, readyPath: '/readyz' },
  { name: 'dialer', entry: 'apps/dialer/dist/main.js', portEnv: 'DIALER_PORT', defaultPort: 3001, readyPath: '/readyz' },
  // Short scavenges and no early mark-compacts: GC pauses would make outgoing RTP frames late.
  { name: 'media', entry: 'apps/media/dist/main.js', portEnv: 'MEDIA_PORT', defaultPort: 3002, readyPath: '/readyz', nodeArgs: ['--max-semi-space-size=4', '--initial-old-space-size=512'] },
  { name: 'extractor', entry: 'apps/extractor/dist/main.js', portEnv: 'EXTRACTOR_PORT', defaultPort: 3003, readyPath: '/readyz' },
  { name: 'webhooks', entry: 'apps/webhooks/dist/main.js', portEnv: 'WEBHOOKS_PORT', defaultPort: 3004, readyPath: '/readyz' },
];
