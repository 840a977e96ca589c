import type { CallDirection, ConversationSnapshot } from '@parley/common';
import { CallStateMachine } from './call-state-machine';
import type { MediaLeg } from '../media/media-leg';
import type { AsteriskConnection } from '../telephony/asterisk-connections';

export interface LiveCallInit {
  callId: string;
  accountId: string;
  trunkId: string;
  direction: CallDirection;
  channelId: string;
  conn: AsteriskConnection;
  ringTimeoutSeconds: number;
  maxDurationSeconds: number;
  /** What media needs for the conversation, from the dispatch or the inbound reply; an adopted call has none (asked of the api if media is needed). */
  conversation?: ConversationSnapshot;
}

/** A call this dialer is responsible for, from the originate (or inbound StasisStart) until its `ended` is published. */
export class LiveCall {
  readonly callId: string;
  readonly accountId: string;
  readonly trunkId: string;
  readonly direction: CallDirection;
  readonly channelId: string;
  readonly conn: AsteriskConnection;
  readonly ringTimeoutSeconds: number;
  readonly maxDurationSeconds: number;
  readonly conversation: ConversationSnapshot | undefined;
  readonly machine: CallStateMachine;
  readonly trackedAtMs = Date.now();
  answeredAtMs: number | null = null;
  hangupRequestedAtMs: number | null = null;
  media: MediaLeg | null = null;
  /** The media set-up in progress or done; teardown waits for it. */
  mediaTask: Promise<void> | null = null;
  /** Publishes of this call, in order. */
  publishing: Promise<void> = Promise.resolve();
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(init: LiveCallInit) {
    this.callId = init.callId;
    this.accountId = init.accountId;
    this.trunkId = init.trunkId;
    this.direction = init.direction;
    this.channelId = init.channelId;
    this.conn = init.conn;
    this.ringTimeoutSeconds = init.ringTimeoutSeconds;
    this.maxDurationSeconds = init.maxDurationSeconds;
    this.conversation = init.conversation;
    this.machine = new CallStateMachine(init.channelId, { direction: init.direction });
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Called once everything about the call is settled (ended published, media torn down, slot freed). */
  finish(): void {
    this.resolveDone();
  }
}
