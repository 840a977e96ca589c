import { AriError } from '@parley/ari-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AriHttpError } from './ari/errors';
import { EventOrdering, orderingFrom } from './ari/ordering';
import { startHarness, type SimHarness } from './testing/harness';

// The behaviours below come from fixtures/asterisk-22/races/ (Asterisk 22.10.1): see ari/ordering.ts.
let h: SimHarness | undefined;
afterEach(() => h?.close());

const SEED = 20261203;

/** externalMedia, then addChannel as soon as the response is in hand: what the dialer used to do. */
async function raceExternalMedia(h: SimHarness, tries: number) {
  let stasisStartAfterResponse = 0;
  const refusals: unknown[] = [];
  for (let i = 0; i < tries; i++) {
    const id = `race-${i}`;
    const [em, bridge] = await Promise.all([
      h.ari.channels.externalMedia({ app: 'dialer', external_host: '127.0.0.1:9', format: 'g722', channelId: id }),
      h.ari.bridges.create({ type: 'mixing', bridgeId: `racebr-${i}` }),
    ]);
    if (!h.events.some((e) => e.type === 'StasisStart' && e.channel.id === em.id)) stasisStartAfterResponse++;
    const err = await h.ari.bridges.addChannel(bridge.id, em.id).catch((e: unknown) => e);
    if (err) refusals.push(err);
    await h.until('StasisStart', (e) => e.channel.id === id);
    await h.ari.channels.hangup(id);
    await h.ari.bridges.destroy(bridge.id);
  }
  return { stasisStartAfterResponse, refusals };
}

describe('adversarial ordering (the default)', () => {
  it("an ExternalMedia channel's StasisStart often comes after the POST response, and addChannel before it answers 422 as Asterisk does", async () => {
    h = await startHarness({ seed: SEED });
    expect(h.sim.ordering).toEqual({ mode: 'adversarial', seed: SEED });
    const { stasisStartAfterResponse, refusals } = await raceExternalMedia(h, 30);
    // Asterisk: 68 of 100 after the response, addChannel refused in 3 to 14 of 100.
    expect(stasisStartAfterResponse).toBeGreaterThan(5);
    expect(stasisStartAfterResponse).toBeLessThan(30);
    expect(refusals.length).toBeGreaterThan(0);
    for (const err of refusals) {
      expect(err).toBeInstanceOf(AriError);
      expect([(err as AriError).status, (err as AriError).body]).toEqual([422, { message: 'Channel not in Stasis application' }]);
    }
  });

  it('a channel joins a bridge once its StasisStart arrived', async () => {
    h = await startHarness({ seed: SEED });
    for (let i = 0; i < 10; i++) {
      const bridge = await h.ari.bridges.create({ type: 'mixing' });
      const em = await h.externalMedia({ app: 'dialer', external_host: '127.0.0.1:9', format: 'g722' });
      await h.ari.bridges.addChannel(bridge.id, em.id);
      expect((await h.ari.bridges.get(bridge.id)).channels).toEqual([em.id]);
    }
  });

  it('an answered originated channel: ChannelStateChange Up, then StasisStart later; in between it is not in Stasis (addChannel 422, answer and play 409)', async () => {
    h = await startHarness({ seed: SEED, endpoints: ['trunk'] });
    await h.scenario('+15551234567', { outcome: 'answer', answer_after_ms: 30, lines: [] });
    const core = h.sim.core;
    const bridge = core.bridges.create({ type: 'mixing' });
    const between: Array<{ status: number; message: unknown }> = [];
    const refusal = (fn: () => unknown) => {
      try {
        fn();
        return { status: 204, message: undefined };
      } catch (err) {
        return { status: (err as AriHttpError).status, message: (err as AriHttpError).body };
      }
    };
    const publish = core.bus.publish.bind(core.bus);
    core.bus.publish = (payload, owner) => {
      publish(payload, owner);
      if (payload.type === 'ChannelStateChange' && payload.channel.state === 'Up') {
        // The next turn of the event loop, as soon as a request could arrive after the Up went out.
        setImmediate(() => {
          const id = payload.channel.id;
          between.push(refusal(() => core.bridges.addChannels(bridge.id, { channel: id })));
          between.push(refusal(() => core.control.answer(id)));
          between.push(refusal(() => core.control.play(id, { media: 'sound:hello' })));
        });
      }
    };
    for (let i = 0; i < 5; i++) {
      const id = `call-order-${i}`;
      await h.ari.channels.originate({ endpoint: 'PJSIP/+15551234567@trunk', app: 'dialer', channelId: id });
      await h.until('StasisStart', (e) => e.channel.id === id);
      const types = h.events.filter((e) => 'channel' in e && e.channel?.id === id).map((e) => (e.type === 'ChannelStateChange' ? `${e.type}:${e.channel.state}` : e.type));
      expect(types.indexOf('ChannelStateChange:Up')).toBeGreaterThanOrEqual(0);
      expect(types.indexOf('ChannelStateChange:Up')).toBeLessThan(types.indexOf('StasisStart'));
      await h.ari.channels.hangup(id);
      await h.until('ChannelDestroyed', (e) => e.channel.id === id);
    }
    const notInStasis = { message: 'Channel not in Stasis application' };
    expect(between).toEqual(
      Array.from({ length: 5 }, () => [
        { status: 422, message: notInStasis },
        { status: 409, message: notInStasis },
        { status: 409, message: notInStasis },
      ]).flat(),
    );
  });

  it('ChannelCreated lands before the POST /channels response, which trails it by up to 50 ms', async () => {
    h = await startHarness({ seed: SEED, endpoints: ['trunk'] });
    await h.scenario('+15551234567', { outcome: 'busy', answer_after_ms: 100 });
    for (let i = 0; i < 5; i++) {
      const id = `call-created-${i}`;
      await h.ari.channels.originate({ endpoint: 'PJSIP/+15551234567@trunk', app: 'dialer', channelId: id });
      expect(h.events.find((e) => 'channel' in e && e.channel?.id === id)?.type).toBe('ChannelCreated');
      await h.until('ChannelDestroyed', (e) => e.channel.id === id);
    }
  });

  it('the same seed gives the same gaps; the seed and mode come from SIM_SEED and SIM_ORDERING when not passed', () => {
    const draw = (o: EventOrdering) => Array.from({ length: 20 }, () => [o.responseLeadMs(), o.externalMediaStasisDelayMs(10), o.upToStasisStartMs()]);
    expect(draw(new EventOrdering('adversarial', 7))).toEqual(draw(new EventOrdering('adversarial', 7)));
    expect(draw(new EventOrdering('adversarial', 7))).not.toEqual(draw(new EventOrdering('adversarial', 8)));
    const fromEnv = orderingFrom({}, { SIM_ORDERING: 'orderly', SIM_SEED: '42' });
    expect([fromEnv.mode, fromEnv.seed]).toEqual(['orderly', 42]);
    expect(orderingFrom({}, {}).mode).toBe('adversarial');
    expect(() => orderingFrom({}, { SIM_ORDERING: 'chaos' })).toThrow(/SIM_ORDERING must be one of adversarial, orderly/);
    expect(() => orderingFrom({}, { SIM_SEED: '-1' })).toThrow(/SIM_SEED/);
  });
});

describe('orderly ordering', () => {
  it('ExternalMedia StasisStart always before the response, so an immediate addChannel succeeds', async () => {
    h = await startHarness({ ordering: 'orderly' });
    const { stasisStartAfterResponse, refusals } = await raceExternalMedia(h, 15);
    expect([stasisStartAfterResponse, refusals.length]).toEqual([0, 0]);
  });
});
