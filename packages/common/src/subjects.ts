/**
 * NATS subject and stream names. A namespace (env `NATS_NAMESPACE`, empty by default) prefixes everything,
 * so several installs, or parallel test runs, can share one NATS server.
 */
export const CALL_EVENT_TYPES = [
  'queued',
  'initiated',
  'ringing',
  'answered',
  'ended',
  'transcript',
  'conversation_ended',
  'recording',
  'result',
  'completed',
  'webhook',
  'agent_error',
  'tool_call',
] as const;
export type CallEventType = (typeof CALL_EVENT_TYPES)[number];

export class Subjects {
  constructor(readonly namespace = '') {}

  private s(subject: string): string {
    return this.namespace ? `${this.namespace}.${subject}` : subject;
  }

  private stream(name: string): string {
    return this.namespace ? `${this.namespace.replace(/[^A-Za-z0-9_-]/g, '_')}_${name}` : name;
  }

  /** JetStream work queue: one message per call to originate. */
  get dispatch(): string {
    return this.s('calls.dispatch');
  }
  get dispatchStream(): string {
    return this.stream('CALL_DISPATCH');
  }

  /** JetStream: lifecycle and content events of one call. */
  callEvent(callId: string, type: CallEventType): string {
    return this.s(`calls.${callId}.${type}`);
  }
  callEventsOfType(type: CallEventType): string {
    return this.s(`calls.*.${type}`);
  }
  get allCallEvents(): string {
    return this.s('calls.*.*');
  }
  get callEventsStream(): string {
    return this.stream('CALL_EVENTS');
  }

  /** Core request/reply: a command to whichever dialer owns the call's channel. */
  dialerCommand(callId: string): string {
    return this.s(`dialer.command.${callId}`);
  }
  get allDialerCommands(): string {
    return this.s('dialer.command.*');
  }
  /** Core: trunks changed for an account; dialers push them to Asterisk again. */
  get trunksChanged(): string {
    return this.s('trunks.changed');
  }
  /** Core request/reply: the dialer asks the api to create the row of an inbound call. */
  get inboundCallCreate(): string {
    return this.s('api.inbound_call.create');
  }
  /** Core request/reply: the dialer asks the api for the conversation snapshot of a call it holds without one. */
  get conversationSnapshot(): string {
    return this.s('api.call.conversation_snapshot');
  }

  /** Core request/reply to the media service. */
  get mediaAllocate(): string {
    return this.s('media.allocate');
  }
  /** A browser's SDP offer for a web call (queue group: any media process may take it). */
  get mediaWebRtcOffer(): string {
    return this.s('media.webrtc.offer');
  }
  /** Core publish: each media process's load and capacity, every interval and on every change (MediaLoad). */
  get mediaLoad(): string {
    return this.s('media.load');
  }
  /**
   * Core request/reply answered by one media process only (`media.<media id>.<verb>`): allocate and webrtc_offer as
   * the queue-group subjects, cancel (published) when the caller gave up waiting for its allocate or offer.
   */
  mediaProcess(mediaId: string, verb: 'allocate' | 'webrtc_offer' | 'cancel'): string {
    return this.s(`media.${mediaId}.${verb}`);
  }
  mediaSession(callId: string, verb: 'attach' | 'release' | 'status'): string {
    return this.s(`media.session.${callId}.${verb}`);
  }
  get allMediaSessionCommands(): string {
    return this.s('media.session.*.*');
  }
}
