import type { TrunkSlotsRepository } from '@parley/db';
import { expect, it } from 'vitest';
import { TrunkCapacity } from './trunk-capacity';

/** Records what TrunkCapacity asks of the repository (its SQL is tested in packages/db). */
function recordingSlots(): { slots: TrunkSlotsRepository; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const slots = new Proxy({} as TrunkSlotsRepository, {
    get: (_, method: string) => async (...args: unknown[]) => {
      calls.push([method, ...args]);
      return true;
    },
  });
  return { slots, calls };
}

it('names this dialer on every slot it takes and fences adoption with its lease epoch', async () => {
  const { slots, calls } = recordingSlots();
  const lease = { dialerId: 'dialer-a', epoch: null as string | null };
  const capacity = new TrunkCapacity(slots, lease);
  await capacity.enqueue('c1', 'trk', new Date(0));
  await capacity.occupy('c2', 'trk', 'inbound');
  await capacity.claim('claim', 'trk');
  await expect(capacity.adopt('c3', 'trk', 'outbound')).rejects.toThrow(/no lease/);
  lease.epoch = '7';
  await capacity.adopt('c3', 'trk', 'outbound');
  expect(calls).toEqual([
    ['enqueue', 'dialer-a', 'c1', 'trk', new Date(0)],
    ['occupy', 'dialer-a', 'c2', 'trk', 'inbound'],
    ['claimInbound', 'dialer-a', 'claim', 'trk'],
    ['adopt', { dialerId: 'dialer-a', epoch: '7' }, 'c3', 'trk', 'outbound'],
  ]);
});

it('tells whoever waits for a trunk when an ended call frees one of its slots, not when a slot is released', async () => {
  const capacity = new TrunkCapacity(recordingSlots().slots, { dialerId: 'dialer-a', epoch: '1' });
  const freed: string[] = [];
  capacity.onFreed((trunkId) => freed.push(trunkId));
  await capacity.release('c1');
  await capacity.free('c2', 'trk_x');
  expect(freed).toEqual(['trk_x']);
});
