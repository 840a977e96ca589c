import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../config';
import { outboundEnv, outboundPolicy, renamedOutboundVariables } from './outbound-config';

const schema = z.object(outboundEnv);
const policy = (e: Record<string, string>) => outboundPolicy(loadConfig(schema, e), e);

describe('outboundPolicy', () => {
  it('refuses the configured platform ports, not a fixed list', () => {
    expect(() => policy({}).check('10.0.0.5', 8188, 'h')).toThrow(/service port/);
    expect(() => policy({ SIM_PORT: '9188' }).check('10.0.0.5', 9188, 'h')).toThrow(/service port/);
    expect(() => policy({ SIM_PORT: '9188' }).check('10.0.0.5', 8188, 'h')).not.toThrow();
    expect(() => policy({ API_PORT: '4000' }).check('10.0.0.5', 4000, 'h')).toThrow(/service port/);
    expect(() => policy({ OUTBOUND_PLATFORM_PORTS: '7777' }).check('10.0.0.5', 7777, 'h')).toThrow(/service port/);
    expect(() => policy({}).check('10.0.0.5', 8222, 'h')).toThrow(/service port/);
  });

  it('refuses loopback and metadata by default, private ranges only when asked, and lets the allow-list through', () => {
    expect(() => policy({}).check('127.0.0.1', 80, 'h')).toThrow(/refused/);
    expect(() => policy({}).check('169.254.169.254', 80, 'h')).toThrow(/refused/);
    expect(() => policy({}).check('10.0.0.5', 80, 'h')).not.toThrow();
    expect(() => policy({ OUTBOUND_BLOCK_PRIVATE: 'true' }).check('10.0.0.5', 80, 'h')).toThrow(/private/);
    expect(() => policy({ OUTBOUND_ALLOW: '127.0.0.1' }).check('127.0.0.1', 80, 'h')).not.toThrow();
    expect(() => policy({ OUTBOUND_ALLOW: 'receiver.internal' }).check('127.0.0.1', 80, 'receiver.internal')).not.toThrow();
  });

  it('refuses a bad port list at start', () => {
    expect(() => loadConfig(schema, { OUTBOUND_PLATFORM_PORTS: '80,x' })).toThrow(/OUTBOUND_PLATFORM_PORTS/);
  });

  it("names round 1's webhook-only variables that were renamed", () => {
    expect(renamedOutboundVariables({ WEBHOOK_BLOCK_PRIVATE: 'true', WEBHOOK_ALLOW: '' })).toEqual([expect.stringMatching(/^WEBHOOK_BLOCK_PRIVATE is now OUTBOUND_BLOCK_PRIVATE/)]);
  });
});
