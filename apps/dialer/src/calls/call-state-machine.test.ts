import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AriEvent } from '@parley/ari-client';
import { describe, expect, it } from 'vitest';
import { CallStateMachine, type CallTransition } from './call-state-machine';

const FIXTURES = resolve(__dirname, '../../../../packages/asterisk-sim/fixtures/asterisk-22');

/** Replays a recorded scenario's WebSocket events into a machine for the dialer's own channel. */
function replay(scenario: string, before?: (machine: CallStateMachine, event: AriEvent, callChannelId: string) => void): { machine: CallStateMachine; transitions: CallTransition[] } {
  const recorded = JSON.parse(readFileSync(join(FIXTURES, scenario, 'events.json'), 'utf8')) as { event: AriEvent }[];
  // The call leg is the first PJSIP channel (some recordings let Asterisk pick its id).
  const first = recorded.find((r) => r.event.type === 'ChannelCreated' && r.event.channel.name.startsWith('PJSIP/'));
  if (!first || first.event.type !== 'ChannelCreated') throw new Error(`no dialer channel in ${scenario}`);
  const machine = new CallStateMachine(first.event.channel.id);
  const transitions: CallTransition[] = [];
  for (const { event } of recorded) {
    before?.(machine, event, machine.channelId);
    transitions.push(...machine.onAriEvent(event));
  }
  return { machine, transitions };
}

describe('CallStateMachine against the Asterisk 22 recordings', () => {
  it('answered then hung up by us: ringing, answered, in Stasis, ended completed with the cause of ChannelDestroyed', () => {
    const { transitions } = replay('answer', (m, e, id) => {
      if (e.type === 'ChannelHangupRequest' && e.soft && e.channel.id === id) m.requestHangup({ by: 'agent' });
    });
    expect(transitions.map((t) => t.type)).toEqual(['initiated', 'ringing', 'answered', 'in_stasis', 'ended']);
    const ended = transitions.at(-1)!;
    expect(ended.type === 'ended' && ended.data).toMatchObject({ status: 'completed', answered: true, hangup_cause_code: 16, hangup_cause: 'Normal Clearing', hangup_by: 'agent', error_code: null });
    expect(transitions[0]!.at).toBe('2026-11-23T19:32:45.368Z');
    expect(transitions[1]!.at).toBe('2026-11-23T19:32:45.372Z');
    expect(transitions[2]!.at).toBe('2026-11-23T19:32:47.377Z');
  });

  it('486 busy: no ringing, ended busy by the far end', () => {
    const { transitions } = replay('busy');
    expect(transitions.map((t) => t.type)).toEqual(['initiated', 'ended']);
    expect(transitions[1]!.type === 'ended' && transitions[1]!.data).toMatchObject({ status: 'busy', answered: false, hangup_cause_code: 17, hangup_by: 'caller' });
  });

  it('ring timeout: ChannelDestroyed 19 after ringing is no_answer', () => {
    const { transitions } = replay('noanswer');
    expect(transitions.map((t) => t.type)).toEqual(['initiated', 'ringing', 'ended']);
    expect(transitions[2]!.type === 'ended' && transitions[2]!.data).toMatchObject({ status: 'no_answer', answered: false, hangup_cause_code: 19 });
  });

  it('our DELETE while ringing (hangup request 32/soft, then destroyed 16) is canceled, not completed', () => {
    const { transitions } = replay('cancel', (m, e) => {
      if (e.type === 'ChannelHangupRequest' && e.soft) m.requestHangup({ by: 'api' });
    });
    expect(transitions.map((t) => t.type)).toEqual(['initiated', 'ringing', 'ended']);
    expect(transitions[2]!.type === 'ended' && transitions[2]!.data).toMatchObject({ status: 'canceled', hangup_cause_code: 16, hangup_by: 'api' });
  });

  it('far-end BYE after answer is completed, hung up by the caller', () => {
    const { transitions } = replay('remotebye');
    expect(transitions.map((t) => t.type)).toEqual(['initiated', 'ringing', 'answered', 'in_stasis', 'ended']);
    expect(transitions[4]!.type === 'ended' && transitions[4]!.data).toMatchObject({ status: 'completed', answered: true, hangup_cause_code: 16, hangup_by: 'caller' });
  });

  it('never lets the 32 soft flag stand for the cause', () => {
    const m = new CallStateMachine('c1');
    m.onAriEvent({ type: 'ChannelHangupRequest', cause: 32, soft: true, channel: { id: 'c1' }, timestamp: '2026-01-01T00:00:00.000+0000' } as AriEvent);
    const [ended] = m.onAriEvent({ type: 'ChannelDestroyed', cause: 21, cause_txt: 'Call Rejected', channel: { id: 'c1' }, timestamp: '2026-01-01T00:00:01.000+0000' } as AriEvent);
    expect(ended!.type === 'ended' && ended!.data).toMatchObject({ status: 'failed', error_code: 'call_rejected', hangup_cause_code: 21, hangup_by: 'caller' });
  });

  it('an inbound channel is ready for media as soon as it is answered (it is in Stasis already)', () => {
    const m = new CallStateMachine('in1', { direction: 'inbound' });
    const out = m.onAriEvent({ type: 'ChannelStateChange', channel: { id: 'in1', state: 'Up' }, timestamp: '2026-01-01T00:00:00.000+0000' } as AriEvent);
    expect(out.map((t) => t.type)).toEqual(['answered', 'in_stasis']);
  });

  it('adopting a live channel after a restart replays what the api may have missed', () => {
    const m = new CallStateMachine('c3');
    expect(m.adopt('Up', true, '2026-01-01T00:00:00.000Z').map((t) => t.type)).toEqual(['initiated', 'ringing', 'answered', 'in_stasis']);
    expect(m.answered).toBe(true);
  });

  it('a forced outcome (media unavailable) wins over the clearing cause', () => {
    const m = new CallStateMachine('c2');
    m.onAriEvent({ type: 'ChannelStateChange', channel: { id: 'c2', state: 'Up' }, timestamp: '2026-01-01T00:00:00.000+0000' } as AriEvent);
    m.requestHangup({ by: 'system', outcome: { status: 'failed', errorCode: 'media_unavailable', errorMessage: 'no media' } });
    const [ended] = m.onAriEvent({ type: 'ChannelDestroyed', cause: 16, cause_txt: 'Normal Clearing', channel: { id: 'c2' }, timestamp: '2026-01-01T00:00:01.000+0000' } as AriEvent);
    expect(ended!.type === 'ended' && ended!.data).toMatchObject({ status: 'failed', answered: true, error_code: 'media_unavailable', hangup_by: 'system' });
    expect(m.onAriEvent({ type: 'ChannelDestroyed', cause: 16, channel: { id: 'c2' } } as AriEvent)).toEqual([]);
  });
});
