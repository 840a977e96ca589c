import { AriError } from '@parley/ari-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startHarness, type SimHarness } from './testing/harness';

let h: SimHarness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

const allocationFailed = (e: unknown) => e instanceof AriError && e.status === 500 && e.asteriskMessage === 'Allocation failed';

it('originates only to PJSIP endpoints pushed through dynamic config, plus the built-in sandbox', async () => {
  const originate = (endpoint: string) => h.ari.channels.originate({ endpoint, app: 'dialer', timeout: 5 });
  expect(allocationFailed(await originate('PJSIP/+15551234567@acme-trunk').catch((e: unknown) => e))).toBe(true);
  expect(allocationFailed(await originate('SIP/+15551234567@acme-trunk').catch((e: unknown) => e))).toBe(true);

  await h.ari.asterisk.putObject('res_pjsip', 'aor', 'acme-trunk', { contact: 'sip:sip.acme.example:5060' });
  const tuples = await h.ari.asterisk.putObject('res_pjsip', 'endpoint', 'acme-trunk', { aors: 'acme-trunk', context: 'from-acme', allow: 'g722,ulaw' });
  expect(tuples).toContainEqual({ attribute: 'context', value: 'from-acme' });
  expect(await h.ari.asterisk.getObject('res_pjsip', 'endpoint', 'acme-trunk')).toEqual(tuples);

  const channel = await originate('PJSIP/+15551234567@acme-trunk');
  expect(channel.name).toMatch(/^PJSIP\/acme-trunk-/);
  expect(channel.dialplan.context).toBe('from-acme');
  expect((await originate('PJSIP/+15551234567@sandbox')).name).toMatch(/^PJSIP\/sandbox-/);

  await h.ari.asterisk.deleteObject('res_pjsip', 'endpoint', 'acme-trunk');
  expect(allocationFailed(await originate('PJSIP/+15551234567@acme-trunk').catch((e: unknown) => e))).toBe(true);
  const missing = (await h.ari.asterisk.getObject('res_pjsip', 'endpoint', 'acme-trunk').catch((e: unknown) => e)) as AriError;
  expect(missing.status).toBe(404);
});
