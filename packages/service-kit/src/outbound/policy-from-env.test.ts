import { describe, expect, it } from 'vitest';
import { outboundPolicyFromEnv } from './policy-from-env';

describe('outboundPolicyFromEnv', () => {
  it('refuses the configured platform ports, not a fixed list', () => {
    expect(() => outboundPolicyFromEnv({}).check('10.0.0.5', 8188, 'h')).toThrow(/service port/);
    expect(() => outboundPolicyFromEnv({ SIM_PORT: '9188' }).check('10.0.0.5', 9188, 'h')).toThrow(/service port/);
    expect(() => outboundPolicyFromEnv({ SIM_PORT: '9188' }).check('10.0.0.5', 8188, 'h')).not.toThrow();
    expect(() => outboundPolicyFromEnv({ API_PORT: '4000' }).check('10.0.0.5', 4000, 'h')).toThrow(/service port/);
  });

  it('reads OUTBOUND_BLOCK_PRIVATE and its old webhook alias, and the allow-list', () => {
    expect(() => outboundPolicyFromEnv({}).check('10.0.0.5', 80, 'h')).not.toThrow();
    expect(() => outboundPolicyFromEnv({ OUTBOUND_BLOCK_PRIVATE: 'true' }).check('10.0.0.5', 80, 'h')).toThrow(/private/);
    expect(() => outboundPolicyFromEnv({ WEBHOOK_BLOCK_PRIVATE: 'true' }).check('10.0.0.5', 80, 'h')).toThrow(/private/);
    expect(() => outboundPolicyFromEnv({ OUTBOUND_ALLOW: '127.0.0.1' }).check('127.0.0.1', 80, 'h')).not.toThrow();
    expect(() => outboundPolicyFromEnv({}).check('127.0.0.1', 80, 'h')).toThrow(/refused/);
  });
});
