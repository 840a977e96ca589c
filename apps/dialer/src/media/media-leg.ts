import { AriError } from '@parley/ari-client';
import { type AudioCodecName, type ConversationSnapshot, ConversationSnapshotReply, ConversationSnapshotRequest, MediaAck, MediaAttachRequest, MediaReleaseRequest } from '@parley/common';
import type { Bus, Logger, MediaPlacement } from '@parley/service-kit';
import type { z } from 'zod';
import type { AsteriskConnection } from '../telephony/asterisk-connections';

export class MediaUnavailableError extends Error {}

export interface MediaLegOptions {
  codec: AudioCodecName;
  app: string;
  /** Each media process's time to answer an allocate, attach or release. */
  timeoutMs: number;
  placement: MediaPlacement;
}

/** The call a leg carries audio for. Without `conversation` (an adopted call), the leg asks the api for it before allocating. */
export interface MediaLegCall {
  callId: string;
  accountId: string;
  channelId: string;
  conversation?: ConversationSnapshot;
}

/** Ids of the ARI objects that carry a call's audio; derived from the call id so that a restarted dialer finds them. */
export function mediaObjectIds(callId: string): { externalChannelId: string; bridgeId: string } {
  return { externalChannelId: `media-${callId}`, bridgeId: `bridge-${callId}` };
}

/**
 * The audio path of an answered call: an RTP endpoint from the media service, an ExternalMedia channel sending to
 * it, and a mixing bridge holding the phone channel and the ExternalMedia channel.
 */
export class MediaLeg {
  readonly externalChannelId: string;
  readonly bridgeId: string;
  private allocated = false;
  /** The media process holding the session (unknown from media processes older than placement by load). */
  private mediaId: string | undefined;
  private externalCreated = false;
  private bridgeCreated = false;
  private tornDown = false;
  /** The holder is gone (MediaHolderWatch): teardown does not wait on a release nobody will answer. */
  private holderLost = false;
  /** Found in Asterisk by a dialer that did not set it up (MediaLeg.existing): its holder is unknown until asked. */
  adopted = false;
  /** Set once the holder acknowledged the attach: from then on the call's audio depends on that process. */
  private attachedTo: string | undefined;
  /** The holder's start when it took the call, from its adverts: another one later means it restarted without the call. */
  private attachedToStart: string | undefined;

  constructor(
    private readonly call: MediaLegCall,
    private readonly conn: AsteriskConnection,
    private readonly bus: Bus,
    private readonly opts: MediaLegOptions,
    private readonly logger: Logger,
  ) {
    ({ externalChannelId: this.externalChannelId, bridgeId: this.bridgeId } = mediaObjectIds(call.callId));
  }

  /** A leg that already exists in Asterisk (found by a restarted dialer): only teardown is left to do. */
  static existing(call: MediaLegCall, conn: AsteriskConnection, bus: Bus, opts: MediaLegOptions, logger: Logger): MediaLeg {
    const leg = new MediaLeg(call, conn, bus, opts, logger);
    leg.allocated = leg.externalCreated = leg.bridgeCreated = true;
    leg.adopted = true;
    return leg;
  }

  /** The media process carrying the call's audio, once attached (unknown for adopted legs and older media processes). */
  get holder(): string | undefined {
    return this.attachedTo;
  }

  get holderStartedAt(): string | undefined {
    return this.attachedToStart;
  }

  /** An adopted leg's holder, as the process holding the session told (its attach was made by the dialer that died). */
  learnHolder(mediaId: string, startedAt: string | undefined): void {
    if (this.attachedTo !== undefined) return;
    this.attachedTo = this.mediaId = mediaId;
    this.attachedToStart = startedAt;
  }

  markHolderLost(): void {
    this.holderLost = true;
  }

  owns(channelId: string): boolean {
    return channelId === this.externalChannelId;
  }

  /** Builds the path; throws MediaUnavailableError when the media service cannot take the call. */
  async connect(answeredAt: string): Promise<void> {
    const { callId, channelId } = this.call;
    const conversation = this.call.conversation ?? (await this.askConversation());
    if (this.tornDown) return;
    // The least loaded media process first, the next on a refusal or timeout; the queue group when none advertises.
    const reply = await this.opts.placement.allocate({ call_id: callId, codec: this.opts.codec, conversation }, this.opts.timeoutMs);
    if (!reply.ok) throw new MediaUnavailableError(`media service refused the call: ${reply.error}`);
    this.allocated = true;
    this.mediaId = reply.media_id;
    if (this.tornDown) return;
    const client = this.conn.client;
    let rtpRemote: MediaAttachRequest['rtp_remote'];
    try {
      const external = await client.channels.externalMedia({ app: this.opts.app, external_host: `${reply.host}:${reply.port}`, format: this.opts.codec, channelId: this.externalChannelId });
      this.externalCreated = true;
      rtpRemote = rtpRemoteOf(external.channelvars);
      await client.bridges.create({ bridgeId: this.bridgeId, type: 'mixing', name: `parley-${callId}` });
      this.bridgeCreated = true;
      // The phone channel is in Stasis (we are called on its StasisStart); the ExternalMedia channel's StasisStart
      // often comes after the response that created it, and Asterisk refuses to bridge it until then (422).
      await this.conn.stasis.whenInStasis(this.externalChannelId, this.opts.timeoutMs);
      if (this.tornDown) return;
      await client.bridges.addChannel(this.bridgeId, [channelId, this.externalChannelId]);
    } catch (err) {
      throw new MediaUnavailableError(`could not bridge the call to media: ${(err as Error).message}`);
    }
    if (this.tornDown) return;
    let ack: z.infer<typeof MediaAck>;
    try {
      ack = await this.bus.request(this.bus.subjects.mediaSession(callId, 'attach'), MediaAttachRequest, { call_id: callId, external_channel_id: this.externalChannelId, answered_at: answeredAt, rtp_remote: rtpRemote, media_id: this.mediaId }, MediaAck, this.opts.timeoutMs);
    } catch (err) {
      throw new MediaUnavailableError(`media attach failed: ${(err as Error).message}`);
    }
    if (!ack.ok) throw new MediaUnavailableError(`media refused attach: ${ack.error ?? 'no reason'}`);
    this.attachedTo = this.mediaId;
    this.attachedToStart = this.mediaId === undefined ? undefined : this.opts.placement.loads.startedAt(this.mediaId);
  }

  /** The snapshot of a call held without one (adopted after another dialer stopped, or dispatched by an older api). */
  private async askConversation(): Promise<ConversationSnapshot> {
    const { callId, accountId } = this.call;
    let reply: z.infer<typeof ConversationSnapshotReply>;
    try {
      reply = await this.bus.request(this.bus.subjects.conversationSnapshot, ConversationSnapshotRequest, { call_id: callId, account_id: accountId }, ConversationSnapshotReply, this.opts.timeoutMs);
    } catch (err) {
      throw new MediaUnavailableError(`the api gave no conversation snapshot: ${(err as Error).message}`);
    }
    if (!reply.ok) throw new MediaUnavailableError(`the api gave no conversation snapshot: ${reply.error}`);
    return reply.conversation;
  }

  /** Removes whatever part of the path exists; safe to call more than once and after Asterisk dropped things itself. */
  async teardown(reason: string): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    const client = this.conn.client;
    const gone = (err: unknown) => {
      if (!(err instanceof AriError && err.isNotFound)) this.logger.warn({ err, call_id: this.call.callId }, 'media teardown step failed');
    };
    if (this.bridgeCreated) await client.bridges.destroy(this.bridgeId).catch(gone);
    if (this.externalCreated) await client.channels.hangup(this.externalChannelId).catch(gone);
    this.conn.stasis.forget(this.externalChannelId);
    if (this.allocated && !this.holderLost) {
      await this.bus
        .request(this.bus.subjects.mediaSession(this.call.callId, 'release'), MediaReleaseRequest, { call_id: this.call.callId, reason }, MediaAck, this.opts.timeoutMs)
        .catch((err: Error) => this.logger.warn({ err, call_id: this.call.callId }, 'media release failed'));
    }
  }
}

/** Where Asterisk receives the ExternalMedia leg's RTP, from the channel variables of the externalMedia response. */
export function rtpRemoteOf(vars: Record<string, string> | undefined): MediaAttachRequest['rtp_remote'] {
  const address = vars?.UNICASTRTP_LOCAL_ADDRESS;
  const port = Number(vars?.UNICASTRTP_LOCAL_PORT);
  return address && Number.isInteger(port) && port > 0 && port < 65536 ? { address, port } : undefined;
}
