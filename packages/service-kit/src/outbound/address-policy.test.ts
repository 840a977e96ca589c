import { describe, expect, it } from 'vitest';
import { OutboundAddressPolicy, RefusedAddressError } from './address-policy';

const policy = (o: Partial<ConstructorParameters<typeof OutboundAddressPolicy>[0]> = {}) =>
  new OutboundAddressPolicy({ allow: [], platformPorts: [3000, 8188], blockPrivate: false, ...o });

describe('OutboundAddressPolicy', () => {
  it.each([
    '127.0.0.1', '127.5.6.7', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '169.254.169.254', '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe', 'fd00:ec2::254', '100.100.100.200', '0.0.0.0', '::', '224.0.0.1', 'ff02::1', 'fe80::1', '255.255.255.255',
  ])('refuses %s by default', (address) => {
    expect(() => policy().check(address, 80, 'h')).toThrow(RefusedAddressError);
  });

  it.each(['93.184.216.34', '10.0.0.5', '192.168.1.20', '172.16.0.1', '100.64.0.1', 'fd12::1', '2606:4700::1'])('allows %s by default', (address) => {
    expect(() => policy().check(address, 80, 'h')).not.toThrow();
  });

  it('refuses the configured platform ports on private addresses', () => {
    expect(() => policy().check('10.0.0.5', 8188, 'h')).toThrow(/service port/);
    expect(() => policy({ platformPorts: [9001] }).check('10.0.0.5', 9001, 'h')).toThrow(/service port/);
    expect(() => policy({ platformPorts: [9001] }).check('10.0.0.5', 8188, 'h')).not.toThrow();
  });

  it('refuses private ranges, mapped or not, when asked to', () => {
    const p = policy({ blockPrivate: true });
    for (const a of ['10.0.0.5', '::ffff:10.0.0.5', '192.168.1.1', '172.31.255.255', '100.64.0.1', 'fd12::1']) expect(() => p.check(a, 80, 'h')).toThrow(/private/);
    expect(() => p.check('93.184.216.34', 80, 'h')).not.toThrow();
  });

  it('lets the allow-list win, by CIDR, address or host name', () => {
    expect(() => policy({ allow: ['127.0.0.0/8'] }).check('127.0.0.1', 3000, 'h')).not.toThrow();
    expect(() => policy({ allow: ['::1'] }).check('::1', 80, 'h')).not.toThrow();
    expect(() => policy({ allow: ['hooks.internal'] }).check('169.254.169.254', 80, 'HOOKS.internal')).not.toThrow();
    expect(() => policy({ allow: ['hooks.internal'] }).check('169.254.169.254', 80, 'other')).toThrow();
  });
});
