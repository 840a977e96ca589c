import { describe, expect, it, vi } from 'vitest';
import { AsteriskConnections, type AsteriskDefinition } from './asterisk-connections';

const config = { ARI_APP: 'parley', SIM_ARI_URL: 'http://127.0.0.1:1/ari', SIM_ARI_USER: 'parley', SIM_ARI_PASSWORD: 'parley', ASTERISK_LOST_AFTER_MS: 1000 };
const logger = { child: () => logger, info: vi.fn(), warn: vi.fn(), error: vi.fn() } as never;
const def = (name: string, fields: Partial<AsteriskDefinition> = {}): AsteriskDefinition => ({ name, url: `http://${name}.invalid/ari`, username: 'u', password: 'p', capacity: 10, site: null, labels: [], ...fields });

// Connections are built but not started here: nothing connects.
describe('AsteriskConnections', () => {
  it('follows the registry: adds, updates in place, replaces on a new address, retires removed ones until their calls end', async () => {
    const connections = new AsteriskConnections(config, logger);
    expect(connections.apply([def('east'), def('west')])).toEqual({ added: ['east', 'west'], retired: [] });
    const east = connections.byName('east')!;
    const west = connections.byName('west')!;

    expect(connections.apply([def('east', { capacity: 50, site: 'paris' }), def('west', { password: 'rotated' })])).toEqual({ added: ['west'], retired: ['west'] });
    expect(connections.byName('east')).toBe(east);
    expect(east).toMatchObject({ capacity: 50, site: 'paris' });
    expect(connections.byName('west')).not.toBe(west);
    expect(west.retiring).toBe(true);

    expect(connections.apply([def('west', { password: 'rotated' })])).toEqual({ added: [], retired: ['east'] });
    expect(connections.registered().map((c) => c.name)).toEqual(['west']);
    // Retired ones still carry their calls' events until closed.
    expect(connections.all()).toEqual(expect.arrayContaining([east, west]));
    expect(await connections.closeRetired((c) => c === east)).toEqual(['west']);
    expect(connections.all()).toContain(east);
    expect(await connections.closeRetired(() => false)).toEqual(['east']);
    expect(connections.all().map((c) => c.name)).toEqual(['sandbox', 'west']);
    await connections.close();
  });

  it("gives a trunk's carriers (every registered Asterisk, or those it names; the simulator for sandbox trunks) and a call's Asterisk", async () => {
    const connections = new AsteriskConnections(config, logger);
    connections.apply([def('east'), def('west'), def('default')]);
    const names = (cs: { name: string }[]) => cs.map((c) => c.name);
    expect(names(connections.carriersOf({ sandbox: false, asterisks: [] }))).toEqual(['east', 'west', 'default']);
    expect(names(connections.carriersOf({ sandbox: false, asterisks: ['west', 'gone'] }))).toEqual(['west']);
    expect(names(connections.carriersOf({ sandbox: true, asterisks: ['west'] }))).toEqual(['sandbox']);
    expect(connections.ofCall({ sandbox: false, asterisk: 'west' })?.name).toBe('west');
    // Rows from before calls recorded their Asterisk.
    expect(connections.ofCall({ sandbox: false, asterisk: null })?.name).toBe('default');
    expect(connections.ofCall({ sandbox: true, asterisk: null })).toBe(connections.sandbox);
    // A retiring Asterisk still answers for its calls.
    const east = connections.byName('east')!;
    connections.apply([def('west'), def('default')]);
    expect(connections.ofCall({ sandbox: false, asterisk: 'east' })).toBe(east);
    expect(connections.ofCall({ sandbox: false, asterisk: 'north' })).toBeUndefined();
    await connections.close();
  });
});
