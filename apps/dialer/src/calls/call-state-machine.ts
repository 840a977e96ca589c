import type { AriEvent } from '@parley/ari-client';
import { type CallDirection, type CallEventData, type ErrorCode, type HangupBy, hangupCauseToStatus, type TerminalCallStatus } from '@parley/common';
import type { z } from 'zod';
import { ariTimestampToIso } from '../telephony/ari-time';

export type EndedData = z.infer<(typeof CallEventData)['ended']>;

export type CallPhase = 'dialing' | 'ringing' | 'answered' | 'ended';

/** What the dialer must publish or do after an ARI event on the call's channel. */
export type CallTransition =
  | { type: 'initiated'; at: string }
  | { type: 'ringing'; at: string }
  | { type: 'answered'; at: string }
  /** Answered and in our Stasis app: bridges and ExternalMedia can be attached now. */
  | { type: 'in_stasis'; at: string }
  | { type: 'ended'; at: string; data: EndedData };

/** A hang-up we asked for, and what it should count as. */
export interface OwnHangup {
  by: HangupBy;
  /** Forces the outcome (media unavailable, max duration, ring-timeout backstop); otherwise the cause decides. */
  outcome?: { status: TerminalCallStatus; errorCode: ErrorCode | null; errorMessage: string | null };
}

/**
 * The lifecycle of one phone call's channel, driven by the ARI events Asterisk sends for it (the shapes and orders
 * recorded in shared/fixtures/asterisk-22). Pure: it returns transitions, the caller publishes them.
 *
 * - ringing: `Dial RINGING` or `ChannelStateChange Ringing`, whichever comes first (their order varies).
 * - answered: `ChannelStateChange Up` (or StasisStart of an Up channel if the state change was missed).
 * - ended: `ChannelDestroyed` only. Its cause is the Q.850 cause; the `32`/soft on ChannelHangupRequest is just
 *   Asterisk's flag for "hung up through the API" and only tells us the hang-up was ours.
 */
export class CallStateMachine {
  private phaseValue: CallPhase;
  private initiated = false;
  private inStasis = false;
  private stasisReady = false;
  private wasAnswered = false;
  private ownHangup: OwnHangup | null = null;
  /** A non-soft hang-up request: the far end (or its network) cleared the call. */
  private remoteHangupCause: number | null = null;

  constructor(
    readonly channelId: string,
    opts: { direction: CallDirection } = { direction: 'outbound' },
  ) {
    if (opts.direction === 'inbound') {
      // An inbound channel arrives in Stasis, ringing; we answer it.
      this.phaseValue = 'ringing';
      this.initiated = true;
      this.inStasis = true;
    } else {
      this.phaseValue = 'dialing';
    }
  }

  get phase(): CallPhase {
    return this.phaseValue;
  }
  get answered(): boolean {
    return this.phaseValue === 'answered' || (this.phaseValue === 'ended' && this.wasAnswered);
  }
  get isEnded(): boolean {
    return this.phaseValue === 'ended';
  }
  /** The channel is in our Stasis app (its StasisStart came, or adoption found it there): it can be acted on. */
  get inStasisApp(): boolean {
    return this.inStasis;
  }
  get hangupRequested(): OwnHangup | null {
    return this.ownHangup;
  }

  /** Records that we are about to hang the channel up (first reason wins). */
  requestHangup(hangup: OwnHangup): void {
    if (!this.ownHangup) this.ownHangup = hangup;
  }

  /** Forgets a hang-up we announced but that did not happen (a transfer Asterisk refused). */
  withdrawHangup(): void {
    if (this.phaseValue !== 'ended') this.ownHangup = null;
  }

  /** Restores the phase of a channel found alive after a restart (GET /channels). */
  adopt(state: string, inStasis: boolean, at = new Date().toISOString()): CallTransition[] {
    if (this.phaseValue === 'ended') return [];
    const out: CallTransition[] = [];
    if (!this.initiated) {
      this.initiated = true;
      out.push({ type: 'initiated', at });
    }
    if (state === 'Ringing' || state === 'Ring') out.push(...this.toRinging(at));
    if (state === 'Up') out.push(...this.toAnswered(at));
    if (inStasis) out.push(...this.enterStasis(at));
    return out;
  }

  /** The originate request succeeded; `initiated` if ChannelCreated has not said so already. */
  originated(at: string): CallTransition[] {
    if (this.initiated || this.phaseValue === 'ended') return [];
    this.initiated = true;
    return [{ type: 'initiated', at }];
  }

  onAriEvent(event: AriEvent): CallTransition[] {
    if (this.phaseValue === 'ended') return [];
    const at = ariTimestampToIso(event.timestamp);
    switch (event.type) {
      case 'ChannelCreated':
        if (event.channel.id !== this.channelId) return [];
        return this.originated(at);
      case 'Dial':
        if (event.peer?.id === this.channelId && event.dialstatus === 'RINGING') return this.toRinging(at);
        return [];
      case 'ChannelStateChange':
        if (event.channel.id !== this.channelId) return [];
        if (event.channel.state === 'Ringing') return this.toRinging(at);
        if (event.channel.state === 'Up') return this.toAnswered(at);
        return [];
      case 'StasisStart': {
        if (event.channel.id !== this.channelId) return [];
        const out = event.channel.state === 'Up' ? this.toAnswered(at) : [];
        out.push(...this.enterStasis(at));
        return out;
      }
      case 'ChannelHangupRequest':
        if (event.channel.id === this.channelId && !event.soft && typeof event.cause === 'number' && event.cause !== 32) this.remoteHangupCause = event.cause;
        return [];
      case 'ChannelDestroyed':
        if (event.channel.id !== this.channelId) return [];
        return [this.end(at, event.cause, event.cause_txt)];
      default:
        return [];
    }
  }

  /** The channel never existed or vanished while we were not looking (originate error, dialer restart). */
  fail(at: string, outcome: { status: TerminalCallStatus; errorCode: ErrorCode | null; errorMessage: string | null }, by: HangupBy = 'system'): CallTransition[] {
    if (this.phaseValue === 'ended') return [];
    const answered = this.answered;
    this.phaseValue = 'ended';
    return [
      {
        type: 'ended',
        at,
        data: { status: outcome.status, answered, hangup_cause: null, hangup_cause_code: null, hangup_by: by, error_code: outcome.errorCode, error_message: outcome.errorMessage },
      },
    ];
  }

  private toRinging(at: string): CallTransition[] {
    if (this.phaseValue !== 'dialing') return [];
    const out = this.originated(at);
    this.phaseValue = 'ringing';
    out.push({ type: 'ringing', at });
    return out;
  }

  private enterStasis(at: string): CallTransition[] {
    this.inStasis = true;
    return this.readyForMedia(at);
  }

  private readyForMedia(at: string): CallTransition[] {
    if (this.stasisReady || !this.inStasis || this.phaseValue !== 'answered') return [];
    this.stasisReady = true;
    return [{ type: 'in_stasis', at }];
  }

  private toAnswered(at: string): CallTransition[] {
    if (this.phaseValue === 'answered') return [];
    const out: CallTransition[] = [];
    // Some far ends answer without a provisional 180: the call still rang, for the record.
    if (this.phaseValue === 'dialing') out.push(...this.toRinging(at));
    this.phaseValue = 'answered';
    this.wasAnswered = true;
    out.push({ type: 'answered', at });
    out.push(...this.readyForMedia(at));
    return out;
  }

  private end(at: string, cause: number, causeText: string | undefined): CallTransition {
    const answered = this.answered;
    this.phaseValue = 'ended';
    const own = this.ownHangup;
    const mapped = hangupCauseToStatus({
      cause,
      causeText,
      answered,
      hungUpByUs: own !== null && (own.by === 'api' || own.by === 'agent'),
    });
    const status = own?.outcome?.status ?? mapped.status;
    const errorCode = own?.outcome ? own.outcome.errorCode : mapped.errorCode;
    const errorMessage = own?.outcome ? own.outcome.errorMessage : errorCode ? `${mapped.hangupCause} (cause ${cause})` : null;
    return {
      type: 'ended',
      at,
      data: {
        status,
        answered,
        hangup_cause: mapped.hangupCause,
        hangup_cause_code: cause,
        hangup_by: own?.by ?? this.remoteParty(answered, cause),
        error_code: errorCode,
        error_message: errorMessage,
      },
    };
  }

  /** Who cleared a call we did not hang up: the person on the line, or the network. */
  private remoteParty(answered: boolean, cause: number): HangupBy {
    if (answered || this.remoteHangupCause !== null) return 'caller';
    return cause === 17 || cause === 21 ? 'caller' : 'system';
  }
}
