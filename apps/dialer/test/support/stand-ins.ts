import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  CALL_STATUS_RANK,
  type CallDirection,
  type CallEvent,
  type CallStatus,
  type ConversationSnapshot,
  ConversationSnapshotReply,
  ConversationSnapshotRequest,
  InboundCallCreateReply,
  InboundCallCreateRequest,
  MediaAllocateReply,
  MediaAllocateRequest,
  MediaAttachRequest,
  MediaReleaseRequest,
  MediaStatusReply,
  MediaStatusRequest,
} from '@parley/common';
import type { DataSource } from '@parley/db';
import type { Bus } from '@parley/service-kit';
import type { Subscription } from 'nats';
import type { z } from 'zod';

/** A call's conversation snapshot as the api sends it (the stand-ins' media only records it). */
export function testConversation(accountId: string, agentId: string, direction: CallDirection): ConversationSnapshot {
  return {
    account_id: accountId,
    agent_id: agentId,
    direction,
    prompt: 'test',
    context: {},
    language: 'en',
    voice: null,
    initial_greeting: null,
    voicemail_action: 'hangup',
    voicemail_message: null,
    tools: [],
    llm: {},
    max_duration_seconds: 600,
  };
}

/**
 * Stands in for the media service: `media.allocate` opens a UDP socket (where the simulator's ExternalMedia sends
 * RTP), attach and release are acknowledged and recorded.
 */
export class MediaStandIn {
  readonly allocations: { callId: string; codec: string; port: number; conversation: ConversationSnapshot }[] = [];
  readonly attached: z.infer<typeof MediaAttachRequest>[] = [];
  readonly released: z.infer<typeof MediaReleaseRequest>[] = [];
  readonly rtpPackets = new Map<string, number>();
  /** When false, allocate answers `ok: false` (media unavailable). */
  available = true;
  private readonly sockets = new Map<string, Socket>();
  private readonly subs: Subscription[] = [];
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly bus: Bus) {}

  start(): void {
    const { bus } = this;
    this.subs.push(
      bus.serve(bus.subjects.mediaAllocate, MediaAllocateRequest, MediaAllocateReply, async (req) => {
        if (!this.available) return { ok: false as const, error: 'no capacity (stand-in)' };
        const socket = createSocket('udp4');
        await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
        socket.on('message', () => this.rtpPackets.set(req.call_id, (this.rtpPackets.get(req.call_id) ?? 0) + 1));
        this.sockets.set(req.call_id, socket);
        const port = socket.address().port;
        this.allocations.push({ callId: req.call_id, codec: req.codec, port, conversation: req.conversation });
        return { ok: true as const, host: '127.0.0.1', port, session_id: randomUUID() };
      }),
      bus.serve(bus.subjects.allMediaSessionCommands, MediaAttachRequest.or(MediaReleaseRequest).or(MediaStatusRequest), MediaStatusReply, async (req, msg) => {
        // Asked by the dialer's media holder watch: the stand-in holds every session it allocated and still has.
        if (msg.subject.endsWith('.status')) return this.sockets.has(req.call_id) ? { ok: true, media_id: 'media-stand-in', started_at: this.startedAt } : { ok: false, error: 'no such session' };
        if (msg.subject.endsWith('.attach') && 'external_channel_id' in req) this.attached.push(req);
        if (msg.subject.endsWith('.release') && 'reason' in req) {
          this.released.push(req);
          this.sockets.get(req.call_id)?.close();
          this.sockets.delete(req.call_id);
        }
        return { ok: true };
      }),
    );
  }

  close(): void {
    for (const s of this.subs) s.unsubscribe();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }
}

/**
 * Stands in for the api where the dialer depends on it: projects call events into the calls rows (forward only,
 * like the real single writer), answers `api.inbound_call.create` for numbers that have an inbound agent on the call's
 * trunk, and the conversation snapshot of a call row.
 */
export class ApiStandIn {
  readonly inboundRequests: z.infer<typeof InboundCallCreateRequest>[] = [];
  readonly snapshotRequests: z.infer<typeof ConversationSnapshotRequest>[] = [];
  private readonly subs: Subscription[] = [];
  private projecting: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: Bus,
    private readonly ds: DataSource,
  ) {}

  start(): void {
    const { bus } = this;
    this.subs.push(
      bus.serve(bus.subjects.inboundCallCreate, InboundCallCreateRequest, InboundCallCreateReply, async (req) => {
        this.inboundRequests.push(req);
        const rows: { account_id: string; trunk_id: string; agent_id: string; max_duration_seconds: number; ring_timeout_seconds: number }[] = await this.ds.query(
          `SELECT n.account_id, n.trunk_id, a.id AS agent_id, a.max_duration_seconds, a.ring_timeout_seconds
           FROM phone_numbers n JOIN agents a ON a.type = 'inbound' AND n.id = ANY(a.number_ids) WHERE n.number = $1 AND n.trunk_id = $2`,
          [req.to, req.trunk_id],
        );
        const agent = rows[0];
        if (!agent) return { ok: false as const, error: `no inbound agent for ${req.to}` };
        const callId = randomUUID();
        await insertCall(this.ds, { id: callId, accountId: agent.account_id, agentId: agent.agent_id, trunkId: agent.trunk_id, direction: 'inbound', status: 'initiated', to: req.to, from: req.from, maxDurationSeconds: agent.max_duration_seconds, ringTimeoutSeconds: agent.ring_timeout_seconds, channelId: req.channel_id });
        return {
          ok: true as const,
          call_id: callId,
          account_id: agent.account_id,
          agent_id: agent.agent_id,
          max_duration_seconds: agent.max_duration_seconds,
          conversation: testConversation(agent.account_id, agent.agent_id, 'inbound'),
        };
      }),
      bus.serve(bus.subjects.conversationSnapshot, ConversationSnapshotRequest, ConversationSnapshotReply, async (req) => {
        this.snapshotRequests.push(req);
        const [call] = (await this.ds.query(`SELECT agent_id, direction FROM calls WHERE id = $1 AND account_id = $2`, [req.call_id, req.account_id])) as { agent_id: string; direction: CallDirection }[];
        if (!call) return { ok: false as const, error: `call ${req.call_id} not found` };
        return { ok: true as const, conversation: testConversation(req.account_id, call.agent_id, call.direction) };
      }),
    );
  }

  /** Applies one event the way the api does (forward-only status, timestamps, ids). */
  project(event: CallEvent): Promise<void> {
    this.projecting = this.projecting.then(() => this.apply(event)).catch(() => undefined);
    return this.projecting;
  }

  private async apply(event: CallEvent): Promise<void> {
    const [row] = (await this.ds.query(`SELECT status FROM calls WHERE id = $1`, [event.call_id])) as { status: CallStatus }[];
    if (!row) return;
    const rank = CALL_STATUS_RANK[row.status];
    switch (event.type) {
      case 'initiated':
        await this.ds.query(`UPDATE calls SET channel_id = $2, dialer_id = $3, asterisk = $4 WHERE id = $1`, [event.call_id, event.data.channel_id, event.data.dialer_id, event.data.asterisk ?? null]);
        if (rank < 1) await this.ds.query(`UPDATE calls SET status = 'initiated' WHERE id = $1`, [event.call_id]);
        break;
      case 'ringing':
        if (rank < 2) await this.ds.query(`UPDATE calls SET status = 'ringing', started_at = $2 WHERE id = $1`, [event.call_id, event.at]);
        break;
      case 'answered':
        if (rank < 3) await this.ds.query(`UPDATE calls SET status = 'in_progress', answered_at = $2 WHERE id = $1`, [event.call_id, event.at]);
        break;
      case 'ended':
        if (rank < 4)
          await this.ds.query(`UPDATE calls SET status = $2, ended_at = $3, error_code = $4, hangup_cause_code = $5 WHERE id = $1`, [
            event.call_id,
            event.data.status,
            event.at,
            event.data.error_code,
            event.data.hangup_cause_code,
          ]);
        break;
      default:
        break;
    }
  }

  close(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}

export interface CallRowInput {
  id: string;
  accountId: string;
  agentId: string;
  trunkId: string;
  direction: CallDirection;
  status: CallStatus;
  to: string;
  from: string;
  maxDurationSeconds: number;
  ringTimeoutSeconds: number;
  channelId?: string | null;
  createdAt?: Date;
}

export async function insertCall(ds: DataSource, c: CallRowInput): Promise<void> {
  await ds.query(
    `INSERT INTO calls (id, account_id, agent_id, trunk_id, direction, status, to_number, from_number, prompt, language, max_duration_seconds, ring_timeout_seconds, channel_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'test', 'en', $9, $10, $11, $12)`,
    [c.id, c.accountId, c.agentId, c.trunkId, c.direction, c.status, c.to, c.from, c.maxDurationSeconds, c.ringTimeoutSeconds, c.channelId ?? null, c.createdAt ?? new Date()],
  );
}
