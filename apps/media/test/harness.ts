import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { AriClient, type AriEvent } from '@parley/ari-client';
import { startAsteriskSim, type AsteriskSim, type ScenarioInput } from '@parley/asterisk-sim';
import { type AudioCodecName, type CallEvent, CallEvent as CallEventSchema, type ConversationSnapshot, DialerCommand, DialerCommandReply, MediaAck, MediaAllocateReply, MediaAllocateRequest, MediaAttachRequest, MediaReleaseRequest, type VoicemailAction } from '@parley/common';
import { mapToolHeaders, SecretBox } from '@parley/db';
import { startSandboxLlm, type SandboxLlm, type Script } from '@parley/sandbox-llm';
import { Bus, createLogger, deleteNamespaceStreams, testNamespace } from '@parley/service-kit';
import { MediaModule } from '../src/app.module';
import { loadMediaConfig, type MediaConfig } from '../src/config';

export interface AgentInput {
  prompt: string;
  context?: Record<string, unknown>;
  initialGreeting?: string | null;
  tools?: unknown[];
  voicemailAction?: VoicemailAction;
  voicemailMessage?: string | null;
  voice?: string | null;
  maxDurationSeconds?: number;
  /** The agent's model settings; an api_key is sealed as the api stores and sends it. */
  llm?: Record<string, unknown>;
  /** Webhook mode: the agent's endpoint, its requests signed with `secret` (sealed as the api sends it). */
  conversation?: { url: string; timeoutMs?: number; secret: string };
}

export interface PlacedCall {
  callId: string;
  phoneChannelId: string;
  /** The snapshot sent with the allocate request, as a dialer sends it. */
  conversation: ConversationSnapshot;
  /** Resolves with the call's conversation_ended event. */
  ended: Promise<Extract<CallEvent, { type: 'conversation_ended' }>>;
  events(): CallEvent[];
}

export interface DialerCommandSeen {
  command: DialerCommand;
  at: number;
}

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
let portBase = 41000 + Math.floor(Math.random() * 200) * 20;

/**
 * Everything a media integration test needs: a NATS namespace, the Asterisk simulator (real RTP far
 * ends), the scripted model server, the media service itself, and a minimal stand-in for the dialer
 * (originate, allocate with the call's snapshot, ExternalMedia, bridge, attach; hang-up commands and
 * releases), driven through the real ARI client.
 */
export class MediaHarness {
  readonly commands: DialerCommandSeen[] = [];
  readonly events: CallEvent[] = [];
  private readonly waiters: Array<{ match: (e: CallEvent) => boolean; resolve: (e: CallEvent) => void }> = [];
  private readonly teardowns = new Map<string, (reason: string) => Promise<void>>();
  private ariEvents: AriEvent[] = [];
  private readonly ariWaiters: Array<{ match: (e: AriEvent) => boolean; resolve: (e: AriEvent) => void }> = [];
  private accountId = `acct_${randomUUID().slice(0, 8)}`;

  private constructor(
    readonly config: MediaConfig,
    readonly sim: AsteriskSim,
    readonly ari: AriClient,
    readonly llm: SandboxLlm,
    readonly bus: Bus,
    readonly app: INestApplicationContext,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async start(options: { script: Script; env?: Record<string, string> }): Promise<MediaHarness> {
    const namespace = testNamespace();
    const recordings = await mkdtemp(join(tmpdir(), 'parley-media-rec-'));
    const llm = await startSandboxLlm({ port: 0, script: options.script });
    const sim = await startAsteriskSim({ port: 0 });
    const ari = new AriClient({ url: sim.url, username: sim.username, password: sim.password, app: 'dialer' });
    await ari.connect();
    const first = portBase;
    portBase += 20;
    const config = loadMediaConfig({
      LOG_LEVEL: process.env.MEDIA_TEST_LOG_LEVEL ?? 'silent',
      NATS_URL,
      NATS_NAMESPACE: namespace,
      LLM_BASE_URL: llm.url,
      RECORDINGS_DIR: recordings,
      MEDIA_RTP_PORTS: `${first}-${first + 19}`,
      SHUTDOWN_TIMEOUT_MS: '2000',
      // The tests' tool servers listen on loopback, which the outbound guard refuses unless allowed.
      OUTBOUND_ALLOW: '127.0.0.1',
      ...options.env,
    });
    const app = await NestFactory.createApplicationContext(MediaModule.forRoot(config), { logger: false, abortOnError: false });
    await app.init();
    const bus = new Bus({ url: NATS_URL, namespace, name: 'test-dialer', logger: createLogger('test-dialer', 'silent') });
    await bus.connect();
    await bus.ensureStreams();
    const harness = new MediaHarness(
      config,
      sim,
      ari,
      llm,
      bus,
      app,
      async () => {
        await rm(recordings, { recursive: true, force: true });
      },
    );
    harness.wire();
    return harness;
  }

  private wire(): void {
    const dec = new TextDecoder();
    this.bus.connection.subscribe(this.bus.subjects.allCallEvents, {
      callback: (err, msg) => {
        if (err) return;
        const event = CallEventSchema.parse(JSON.parse(dec.decode(msg.data)));
        this.events.push(event);
        for (const w of [...this.waiters]) {
          if (w.match(event)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(event);
          }
        }
      },
    });
    this.bus.serve(this.bus.subjects.allDialerCommands, DialerCommand, DialerCommandReply, async (command) => {
      this.commands.push({ command, at: Date.now() });
      if (command.command === 'hangup' || command.command === 'transfer') {
        const teardown = this.teardowns.get(command.call_id);
        setTimeout(() => void teardown?.(command.command === 'hangup' ? 'agent_hangup' : 'transferred'), 50);
      }
      return { ok: true };
    });
    this.ari.on('event', (e: AriEvent) => {
      this.ariEvents.push(e);
      for (const w of [...this.ariWaiters]) {
        if (w.match(e)) {
          this.ariWaiters.splice(this.ariWaiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    });
  }

  waitForEvent<T extends CallEvent['type']>(callId: string, type: T, timeoutMs = 60_000): Promise<Extract<CallEvent, { type: T }>> {
    const match = (e: CallEvent) => e.call_id === callId && e.type === type;
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen as never);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} for ${callId} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e as never);
        },
      });
    });
  }

  /** Resolves with the first live transcript segment of the call that matches. */
  waitForSegment(callId: string, predicate: (segment: { role: string; text: string; interrupted: boolean }) => boolean, timeoutMs = 60_000): Promise<CallEvent> {
    const match = (e: CallEvent) => e.call_id === callId && e.type === 'transcript' && predicate(e.data.segment);
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching transcript segment for ${callId} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  private waitForAri(match: (e: AriEvent) => boolean, timeoutMs = 20_000): Promise<AriEvent> {
    const seen = this.ariEvents.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('ARI event not seen in time')), timeoutMs);
      this.ariWaiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  /** Sets the far end's scenario, dials it and bridges it to media like the dialer does, with the call's snapshot as the api makes it. */
  async placeCall(options: { number: string; scenario: ScenarioInput; agent: AgentInput; codec?: AudioCodecName }): Promise<PlacedCall> {
    const codec = options.codec ?? 'g722';
    const callId = randomUUID();
    const a = options.agent;
    const conversation: ConversationSnapshot = {
      account_id: this.accountId,
      agent_id: randomUUID(),
      direction: 'outbound',
      prompt: a.prompt,
      context: a.context ?? {},
      language: 'en',
      voice: a.voice ?? null,
      initial_greeting: a.initialGreeting ?? null,
      voicemail_action: a.voicemailAction ?? 'hangup',
      voicemail_message: a.voicemailMessage ?? null,
      // Tool header values travel sealed, as the api stores and sends them.
      tools: mapToolHeaders(a.tools ?? [], (v) => new SecretBox(this.config.PARLEY_SECRET_KEY).seal(v)),
      llm: typeof a.llm?.api_key === 'string' ? { ...a.llm, api_key: new SecretBox(this.config.PARLEY_SECRET_KEY).seal(a.llm.api_key) } : (a.llm ?? {}),
      max_duration_seconds: a.maxDurationSeconds ?? 600,
      ...(a.conversation
        ? { conversation: { mode: 'webhook' as const, url: a.conversation.url, timeout_ms: a.conversation.timeoutMs ?? 5000, secret: new SecretBox(this.config.PARLEY_SECRET_KEY).seal(a.conversation.secret) } }
        : {}),
      from_number: '+15550001111',
      to_number: options.number,
      metadata: { test: true },
    };

    const res = await fetch(`${this.sim.url}/sim/scenarios/${encodeURIComponent(options.number)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(options.scenario) });
    if (!res.ok) throw new Error(`scenario rejected: ${await res.text()}`);

    const phoneChannelId = `phone-${callId}`;
    const externalChannelId = `media-${callId}`;
    const bridgeId = `bridge-${callId}`;
    await this.ari.channels.originate({ endpoint: `PJSIP/${options.number}@sandbox`, app: 'dialer', channelId: phoneChannelId, callerId: '+15550001111', timeout: 30 });
    await this.waitForAri((e) => e.type === 'StasisStart' && (e as { channel?: { id: string } }).channel?.id === phoneChannelId);
    const answeredAt = new Date().toISOString();

    const subjects = this.bus.subjects;
    const reply = await this.bus.request(subjects.mediaAllocate, MediaAllocateRequest, { call_id: callId, codec, conversation }, MediaAllocateReply, 5000);
    if (!reply.ok) throw new Error(`allocate failed: ${reply.error}`);

    let tornDown = false;
    const teardown = async (reason: string) => {
      if (tornDown) return;
      tornDown = true;
      await this.ari.bridges.destroy(bridgeId).catch(() => undefined);
      await this.ari.channels.hangup(externalChannelId).catch(() => undefined);
      await this.ari.channels.hangup(phoneChannelId).catch(() => undefined);
      await this.bus.request(subjects.mediaSession(callId, 'release'), MediaReleaseRequest, { call_id: callId, reason }, MediaAck, 10_000).catch(() => undefined);
    };
    this.teardowns.set(callId, teardown);
    // The far end hanging up ends the call like the dialer would.
    void this.waitForAri((e) => e.type === 'ChannelDestroyed' && (e as { channel?: { id: string } }).channel?.id === phoneChannelId, 600_000)
      .then(() => teardown('caller_hangup'))
      .catch(() => undefined);

    const em = await this.ari.channels.externalMedia({ app: 'dialer', external_host: `${reply.host}:${reply.port}`, format: codec, channelId: externalChannelId });
    const vars = (em as { channelvars?: Record<string, string> }).channelvars ?? {};
    await this.ari.bridges.create({ bridgeId, type: 'mixing', name: `parley-${callId}` });
    // As the dialer does: the ExternalMedia channel can join the bridge only once its StasisStart came (it may follow the response).
    await this.waitForAri((e) => e.type === 'StasisStart' && (e as { channel?: { id: string } }).channel?.id === externalChannelId);
    await this.ari.bridges.addChannel(bridgeId, [phoneChannelId, externalChannelId]);
    const ack = await this.bus.request(
      subjects.mediaSession(callId, 'attach'),
      MediaAttachRequest,
      { call_id: callId, external_channel_id: externalChannelId, answered_at: answeredAt, rtp_remote: { address: vars.UNICASTRTP_LOCAL_ADDRESS!, port: Number(vars.UNICASTRTP_LOCAL_PORT) } },
      MediaAck,
      5000,
    );
    if (!ack.ok) throw new Error(`attach failed: ${ack.error}`);

    return {
      callId,
      phoneChannelId,
      conversation,
      ended: this.waitForEvent(callId, 'conversation_ended', 120_000),
      events: () => this.events.filter((e) => e.call_id === callId),
    };
  }

  /** Ends a call from the dialer's side (as when the API ends it). */
  async release(callId: string, reason = 'api'): Promise<void> {
    await this.teardowns.get(callId)?.(reason);
  }

  async close(): Promise<void> {
    await this.app.close().catch(() => undefined);
    await this.bus.close().catch(() => undefined);
    await this.ari.close().catch(() => undefined);
    await this.sim.close().catch(() => undefined);
    await this.llm.close().catch(() => undefined);
    await deleteNamespaceStreams(NATS_URL, this.config.NATS_NAMESPACE).catch(() => undefined);
    await this.cleanup();
  }
}

/** A tiny HTTP endpoint for agent tools: records each request and answers with `reply`. */
export async function startToolServer(reply: (body: unknown, url: URL) => { status?: number; body: unknown; delayMs?: number }): Promise<{ url: string; requests: Array<{ method: string; url: string; body: unknown; headers: IncomingHttpHeaders }>; close(): Promise<void> }> {
  const requests: Array<{ method: string; url: string; body: unknown; headers: IncomingHttpHeaders }> = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as unknown) : null;
      const url = new URL(req.url ?? '/', 'http://localhost');
      requests.push({ method: req.method ?? '', url: url.toString(), body, headers: req.headers });
      const r = reply(body, url);
      setTimeout(() => {
        res.writeHead(r.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(r.body));
      }, r.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The system prompt of a chat request, to route sandbox rules per call. */
export function promptOf(ctx: { request: { messages: Array<{ role: string; content?: unknown }> } }): string {
  const first = ctx.request.messages[0];
  return first && typeof first.content === 'string' ? first.content : '';
}
