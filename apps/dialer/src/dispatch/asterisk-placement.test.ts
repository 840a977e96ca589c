import { expect, it } from 'vitest';
import { placementOrder } from './asterisk-placement';

const ast = (name: string, load: number, capacity = 10, connected = true) => ({ name, load, capacity, connected });

it('tries the least loaded Asterisk first, equal loads by name', () => {
  const { order, skipped } = placementOrder([ast('b', 3), ast('a', 5), ast('c', 3)]);
  expect(order.map((c) => c.name)).toEqual(['b', 'c', 'a']);
  expect(skipped).toEqual([]);
});

it('skips an Asterisk that is down and one at its capacity, saying why', () => {
  const { order, skipped } = placementOrder([ast('down', 0, 10, false), ast('full', 4, 4), ast('room', 9, 10)]);
  expect(order.map((c) => c.name)).toEqual(['room']);
  expect(skipped).toEqual([
    { name: 'down', reason: 'down' },
    { name: 'full', reason: 'full' },
  ]);
});

it('leaves nothing to try when every Asterisk is down or full', () => {
  expect(placementOrder([ast('a', 1, 1), ast('b', 0, 5, false)]).order).toEqual([]);
  expect(placementOrder([]).order).toEqual([]);
});

it('an Asterisk without a capacity limit always has room', () => {
  expect(placementOrder([ast('default', 10_000, Infinity)]).order.map((c) => c.name)).toEqual(['default']);
});
