import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { CallLog } from './calls';
import { AsteriskCore } from './ari/core';
import type { Params } from './ari/params';
import { AriHttpError } from './ari/errors';
import { EventBus } from './ari/event-bus';
import { orderingFrom, type SimOrdering } from './ari/ordering';
import { PlaybackStore } from './ari/playbacks';
import { RecordingStore } from './ari/recordings';
import { ScenarioError, ScenarioStore, type ScenarioInput } from './far-end/scenario';
import { SpeechSource } from './far-end/speech';

export interface SimLogger {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
}

export interface AsteriskSimOptions {
  /** Default 8188; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** How long an OPTIONS to a silent far peer waits before its contact is Unreachable; default 3000 (Asterisk's qualify_timeout). */
  qualifyTimeoutMs?: number;
  /** ARI basic-auth user and password; default parley / parley. */
  username?: string;
  password?: string;
  /** Address of the ExternalMedia RTP sockets (UNICASTRTP_LOCAL_ADDRESS); default `host`. */
  rtpHost?: string;
  /** Scenario files to load at start, one `<number>.json` per dialed number. */
  scenariosDir?: string;
  /** Scenarios to set at start, keyed by number. */
  scenarios?: Record<string, ScenarioInput>;
  /** PJSIP endpoints that exist without being pushed through dynamic config (`sandbox` always exists). */
  endpoints?: string[];
  /** Stasis app that inbound calls enter when the request names none; default the first connected app. */
  inboundApp?: string;
  /**
   * How long originate/externalMedia responses trail their first events, fixed; default 15 ms when orderly, drawn
   * from 1-50 ms when adversarial (Asterisk: up to ~50).
   */
  earlyEventLeadMs?: number;
  /**
   * `adversarial` (default, or env SIM_ORDERING): events and responses drift apart as far as real Asterisk lets them
   * (ari/ordering.ts); `orderly`: the order of the first recorded traces, for tests that need determinism.
   */
  ordering?: SimOrdering;
  /** Seed of the adversarial ordering's PRNG (env SIM_SEED); logged at start, random when absent. */
  seed?: number;
  /** espeak-ng binary; default `espeak-ng` from PATH. */
  espeakPath?: string;
  logger?: SimLogger;
}

export interface AsteriskSim {
  /** `http://host:port` */
  url: string;
  /** `http://host:port/ari` */
  ariUrl: string;
  port: number;
  username: string;
  password: string;
  scenarios: ScenarioStore;
  calls: CallLog;
  core: AsteriskCore;
  /** The ordering in force and the seed that replays it. */
  ordering: { mode: SimOrdering; seed: number };
  close(): Promise<void>;
}

const silentLogger: SimLogger = { info: () => undefined, warn: () => undefined };

type Handler = (m: RegExpExecArray, params: Params, body: unknown, leadMs: number) => unknown | Promise<unknown>;
interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
  /** Hold the response this long after the handler ran (events that precede the HTTP answer). */
  lead?: boolean;
}

/** A binary response (WAV files). */
class RawBody {
  constructor(
    readonly contentType: string,
    readonly data: Buffer,
  ) {}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const d = decodeURIComponent;

export async function startAsteriskSim(options: AsteriskSimOptions = {}): Promise<AsteriskSim> {
  const host = options.host ?? '127.0.0.1';
  const username = options.username ?? 'parley';
  const password = options.password ?? 'parley';
  const log = options.logger ?? silentLogger;
  const ordering = orderingFrom(options);

  const scenarios = new ScenarioStore();
  if (options.scenariosDir) {
    const n = await scenarios.loadDirectory(options.scenariosDir);
    log.info({ dir: options.scenariosDir, scenarios: n }, 'scenarios loaded');
  }
  for (const [number, scenario] of Object.entries(options.scenarios ?? {})) scenarios.set(number, scenario);

  const bus = new EventBus('02:fc:00:00:00:01');
  const core = new AsteriskCore(bus, scenarios, new SpeechSource({ espeakPath: options.espeakPath }), new RecordingStore(), new PlaybackStore(), {
    rtpHost: options.rtpHost ?? host,
    staticEndpoints: options.endpoints ?? [],
    ordering,
    inboundApp: options.inboundApp,
    qualifyTimeoutMs: options.qualifyTimeoutMs,
    log,
  });
  const endpoint = (resource: string) => core.endpointStates.snapshot(resource);

  const ari: Route[] = [
    { method: 'GET', pattern: /^\/asterisk\/info$/, handler: () => asteriskInfo(core) },
    { method: 'GET', pattern: /^\/asterisk\/ping$/, handler: () => ({ asterisk_id: bus.asteriskId, ping: 'pong', timestamp: new Date().toISOString().replace('Z', '+0000') }) },
    { method: 'GET', pattern: /^\/asterisk\/config\/dynamic\/([^/]+)\/([^/]+)\/([^/]+)$/, handler: (m) => core.config.get(d(m[1]!), d(m[2]!), d(m[3]!)) },
    { method: 'PUT', pattern: /^\/asterisk\/config\/dynamic\/([^/]+)\/([^/]+)\/([^/]+)$/, handler: (m, _p, body) => core.config.put(d(m[1]!), d(m[2]!), d(m[3]!), body) },
    { method: 'DELETE', pattern: /^\/asterisk\/config\/dynamic\/([^/]+)\/([^/]+)\/([^/]+)$/, handler: (m) => core.config.delete(d(m[1]!), d(m[2]!), d(m[3]!)) },
    { method: 'GET', pattern: /^\/applications$/, handler: () => bus.registeredApps().map(application) },
    { method: 'GET', pattern: /^\/applications\/([^/]+)$/, handler: (m) => registeredApplication(bus, d(m[1]!)) },
    { method: 'POST', pattern: /^\/applications\/([^/]+)\/subscription$/, handler: (m) => registeredApplication(bus, d(m[1]!)) },
    { method: 'DELETE', pattern: /^\/applications\/([^/]+)\/subscription$/, handler: (m) => registeredApplication(bus, d(m[1]!)) },
    { method: 'GET', pattern: /^\/endpoints$/, handler: () => core.endpoints.names().map(endpoint) },
    {
      method: 'GET',
      pattern: /^\/endpoints\/([^/]+)$/,
      handler: (m) => {
        const tech = d(m[1]!);
        if (tech !== 'PJSIP') throw new AriHttpError(404, { message: `No Endpoints found - invalid tech ${tech}` });
        return core.endpoints.names().map(endpoint);
      },
    },
    {
      method: 'GET',
      pattern: /^\/endpoints\/([^/]+)\/([^/]+)$/,
      handler: (m) => {
        const resource = d(m[2]!);
        // Asterisk upper-cases the technology of a single endpoint's id, not the resource.
        if (d(m[1]!).toUpperCase() !== 'PJSIP' || !core.endpoints.exists(resource)) throw new AriHttpError(404, { message: 'Endpoint not found' });
        return endpoint(resource);
      },
    },
    { method: 'GET', pattern: /^\/channels$/, handler: () => core.channels.list().map((c) => c.snapshot()) },
    { method: 'POST', pattern: /^\/channels$/, handler: (_m, p, _b, lead) => core.outbound.originate(p, lead), lead: true },
    { method: 'POST', pattern: /^\/channels\/externalMedia$/, handler: (_m, p, _b, lead) => core.externalMedia.create(p, lead), lead: true },
    { method: 'GET', pattern: /^\/channels\/([^/]+)$/, handler: (m) => core.channels.get(d(m[1]!)).snapshot() },
    { method: 'POST', pattern: /^\/channels\/([^/]+)$/, handler: (m, p, _b, lead) => core.outbound.originate({ ...p, channelId: d(m[1]!) }, lead), lead: true },
    { method: 'DELETE', pattern: /^\/channels\/([^/]+)$/, handler: (m, p) => core.control.hangup(d(m[1]!), p) },
    { method: 'POST', pattern: /^\/channels\/([^/]+)\/answer$/, handler: (m) => core.control.answer(d(m[1]!)) },
    { method: 'POST', pattern: /^\/channels\/([^/]+)\/ring$/, handler: (m) => core.control.ring(d(m[1]!)) },
    { method: 'DELETE', pattern: /^\/channels\/([^/]+)\/ring$/, handler: (m) => core.control.ring(d(m[1]!)) },
    { method: 'POST', pattern: /^\/channels\/([^/]+)\/dtmf$/, handler: (m, p) => core.control.sendDtmf(d(m[1]!), p) },
    { method: 'POST', pattern: /^\/channels\/([^/]+)\/redirect$/, handler: (m, p) => core.control.redirect(d(m[1]!), p) },
    { method: 'POST', pattern: /^\/channels\/([^/]+)\/continue$/, handler: (m) => core.control.continueInDialplan(d(m[1]!)) },
    { method: 'GET', pattern: /^\/channels\/([^/]+)\/variable$/, handler: (m, p) => core.control.getVariable(d(m[1]!), p) },
    { method: 'POST', pattern: /^\/channels\/([^/]+)\/variable$/, handler: (m, p) => core.control.setVariable(d(m[1]!), p) },
    { method: 'POST', pattern: /^\/channels\/([^/]+)\/play$/, handler: (m, p) => core.control.play(d(m[1]!), p) },
    { method: 'POST', pattern: /^\/channels\/([^/]+)\/play\/([^/]+)$/, handler: (m, p) => core.control.play(d(m[1]!), p, d(m[2]!)) },
    { method: 'POST', pattern: /^\/channels\/([^/]+)\/record$/, handler: (m, p) => core.control.record(d(m[1]!), p) },
    { method: 'GET', pattern: /^\/bridges$/, handler: () => core.bridges.list().map((b) => b.snapshot()) },
    { method: 'POST', pattern: /^\/bridges$/, handler: (_m, p) => core.bridges.create(p).snapshot() },
    { method: 'GET', pattern: /^\/bridges\/([^/]+)$/, handler: (m) => core.bridges.get(d(m[1]!)).snapshot() },
    { method: 'POST', pattern: /^\/bridges\/([^/]+)$/, handler: (m, p) => core.bridges.create(p, d(m[1]!)).snapshot() },
    { method: 'DELETE', pattern: /^\/bridges\/([^/]+)$/, handler: (m) => core.bridges.destroy(d(m[1]!)) },
    { method: 'POST', pattern: /^\/bridges\/([^/]+)\/addChannel$/, handler: (m, p) => core.bridges.addChannels(d(m[1]!), p) },
    { method: 'POST', pattern: /^\/bridges\/([^/]+)\/removeChannel$/, handler: (m, p) => core.bridges.removeChannels(d(m[1]!), p) },
    { method: 'POST', pattern: /^\/bridges\/([^/]+)\/play$/, handler: (m, p) => core.bridges.play(d(m[1]!), p) },
    { method: 'POST', pattern: /^\/bridges\/([^/]+)\/record$/, handler: (m, p) => core.bridges.record(d(m[1]!), p) },
    { method: 'GET', pattern: /^\/playbacks\/([^/]+)$/, handler: (m) => core.playbacks.get(d(m[1]!)) },
    { method: 'DELETE', pattern: /^\/playbacks\/([^/]+)$/, handler: (m) => core.playbacks.stop(d(m[1]!)) },
    { method: 'GET', pattern: /^\/recordings\/live\/([^/]+)$/, handler: (m) => core.recordings.getLive(d(m[1]!)) },
    { method: 'POST', pattern: /^\/recordings\/live\/([^/]+)\/stop$/, handler: (m) => core.recordings.stop(d(m[1]!)) },
    { method: 'DELETE', pattern: /^\/recordings\/live\/([^/]+)$/, handler: (m) => core.recordings.cancel(d(m[1]!)) },
    { method: 'GET', pattern: /^\/recordings\/stored$/, handler: () => core.recordings.listStored() },
    { method: 'GET', pattern: /^\/recordings\/stored\/([^/]+)$/, handler: (m) => core.recordings.getStored(d(m[1]!)) },
    { method: 'GET', pattern: /^\/recordings\/stored\/([^/]+)\/file$/, handler: (m) => new RawBody('audio/wav', core.recordings.storedFile(d(m[1]!))) },
    { method: 'DELETE', pattern: /^\/recordings\/stored\/([^/]+)$/, handler: (m) => core.recordings.deleteStored(d(m[1]!)) },
  ];

  const sim: Route[] = [
    { method: 'GET', pattern: /^\/health$/, handler: () => ({ ok: true, ordering: ordering.mode, seed: ordering.seed }) },
    { method: 'GET', pattern: /^\/scenarios$/, handler: () => scenarios.list() },
    {
      method: 'GET',
      pattern: /^\/scenarios\/([^/]+)$/,
      handler: (m) => {
        const number = d(m[1]!);
        return { number, explicit: scenarios.get(number) !== undefined, scenario: scenarios.resolve(number) };
      },
    },
    { method: 'PUT', pattern: /^\/scenarios\/([^/]+)$/, handler: (m, _p, body) => ({ number: d(m[1]!), scenario: scenarios.set(d(m[1]!), body ?? {}) }) },
    {
      method: 'DELETE',
      pattern: /^\/scenarios\/([^/]+)$/,
      handler: (m) => {
        if (!scenarios.delete(d(m[1]!))) throw new AriHttpError(404, { message: 'No scenario for this number' });
      },
    },
    { method: 'DELETE', pattern: /^\/scenarios$/, handler: () => scenarios.clear() },
    {
      method: 'PUT',
      pattern: /^\/peers\/([^/]+)$/,
      handler: (m, _p, body) => {
        const b = (body ?? {}) as { reachable?: unknown; rtt_ms?: unknown };
        if (typeof b.reachable !== 'boolean' || (b.rtt_ms !== undefined && (typeof b.rtt_ms !== 'number' || b.rtt_ms < 0))) {
          throw new AriHttpError(400, { message: 'body must be {"reachable": boolean, "rtt_ms"?: number >= 0}' });
        }
        core.endpointStates.setPeer(d(m[1]!), { reachable: b.reachable, ...(typeof b.rtt_ms === 'number' ? { rttMs: b.rtt_ms } : {}) });
        return { host: d(m[1]!), reachable: b.reachable };
      },
    },
    { method: 'DELETE', pattern: /^\/peers\/([^/]+)$/, handler: (m) => core.endpointStates.setPeer(d(m[1]!), null) },
    { method: 'POST', pattern: /^\/inbound$/, handler: (_m, _p, body) => core.inbound.place((body ?? {}) as Params) },
    { method: 'GET', pattern: /^\/calls$/, handler: () => core.calls.list().map((c) => c.toJSON()) },
    { method: 'DELETE', pattern: /^\/calls$/, handler: () => core.calls.clear() },
    { method: 'GET', pattern: /^\/calls\/([^/]+)$/, handler: (m) => requireCall(core, d(m[1]!)).toJSON() },
    {
      method: 'GET',
      pattern: /^\/calls\/([^/]+)\/heard\.wav$/,
      handler: (m) => {
        const call = requireCall(core, d(m[1]!));
        if (!call.phone) throw new AriHttpError(404, { message: 'The call was never answered' });
        return new RawBody('audio/wav', call.phone.heardWav());
      },
    },
    {
      method: 'POST',
      pattern: /^\/calls\/([^/]+)\/hangup$/,
      handler: (m) => {
        const ch = core.channels.get(d(m[1]!));
        core.farEnds.hangUp(ch);
      },
    },
    { method: 'GET', pattern: /^\/events$/, handler: () => bus.history.slice(-500) },
  ];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      log.warn({ err: (error as Error).message, url: req.url }, 'request failed');
      if (!res.headersSent) send(res, 500, { error: 'Internal simulator error' });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    let routes: Route[];
    let path: string;
    if (url.pathname.startsWith('/ari/')) {
      if (!authorized(req, url, username, password)) {
        res.setHeader('www-authenticate', 'Basic realm="Asterisk REST Interface"');
        send(res, 401, { message: 'Authentication required' });
        return;
      }
      routes = ari;
      path = url.pathname.slice(4);
    } else if (url.pathname.startsWith('/sim/')) {
      routes = sim;
      path = url.pathname.slice(4);
    } else {
      send(res, 404, { message: 'Not found' });
      return;
    }
    const body = await readJson(req);
    if (body instanceof Error) {
      send(res, 400, { message: 'Request body is not valid JSON' });
      return;
    }
    const params: Params = { ...Object.fromEntries(url.searchParams) };
    if (body && typeof body === 'object' && !Array.isArray(body)) Object.assign(params, body);
    for (const route of routes) {
      if (route.method !== req.method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      try {
        const lead = route.lead ? ordering.responseLeadMs() : 0;
        const result = await route.handler(m, params, body, lead);
        if (route.lead) await sleep(lead);
        if (result instanceof RawBody) {
          res.writeHead(200, { 'content-type': result.contentType, 'content-length': result.data.length, server: 'Asterisk/22.10.1 (parley-sim)' });
          res.end(result.data);
        } else if (result === undefined) {
          send(res, 204);
        } else {
          send(res, 200, result);
        }
      } catch (error) {
        if (error instanceof AriHttpError) send(res, error.status, error.body);
        else if (error instanceof ScenarioError) send(res, 400, { error: error.message, issues: error.issues });
        else throw error;
      }
      return;
    }
    send(res, 404, { message: 'Resource not found' });
  }

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname !== '/ari/events') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    if (!authorized(req, url, username, password)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="Asterisk REST Interface"\r\n\r\n');
      return;
    }
    const apps = (url.searchParams.get('app') ?? '').split(',').filter(Boolean);
    if (apps.length === 0) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const subscribeAll = url.searchParams.get('subscribeAll') === 'true';
    wss.handleUpgrade(req, socket, head, (ws) => {
      bus.add(ws, apps, subscribeAll);
      log.info({ apps, subscribeAll }, 'Stasis app connected');
      ws.on('close', () => log.info({ apps }, 'Stasis app disconnected'));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8188, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  log.info({ url, ari: `${url}/ari`, user: username, ordering: ordering.mode, seed: ordering.seed }, 'asterisk simulator listening');

  return {
    url,
    ariUrl: `${url}/ari`,
    port,
    username,
    password,
    scenarios,
    calls: core.calls,
    core,
    ordering: { mode: ordering.mode, seed: ordering.seed },
    async close() {
      core.close();
      bus.closeAll();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  const headers: Record<string, string | number> = { server: 'Asterisk/22.10.1 (parley-sim)', 'cache-control': 'no-cache, no-store' };
  if (body === undefined) {
    res.writeHead(status, { ...headers, 'content-length': 0 });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function authorized(req: IncomingMessage, url: URL, username: string, password: string): boolean {
  const apiKey = url.searchParams.get('api_key');
  if (apiKey !== null) return apiKey === `${username}:${password}`;
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return false;
  return Buffer.from(header.slice(6), 'base64').toString() === `${username}:${password}`;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    return error as Error;
  }
}

function requireCall(core: AsteriskCore, id: string) {
  const call = core.calls.get(id);
  if (!call) throw new AriHttpError(404, { message: 'No simulated call with this channel id' });
  return call;
}

function application(name: string) {
  return {
    name,
    channel_ids: ['__AST_CHANNEL_ALL_TOPIC'],
    bridge_ids: ['__AST_BRIDGE_ALL_TOPIC'],
    endpoint_ids: ['__AST_ENDPOINT_ALL_TOPIC'],
    device_names: ['__AST_DEVICE_STATE_ALL_TOPIC'],
    events_allowed: [],
    events_disallowed: [],
  };
}

function registeredApplication(bus: EventBus, name: string) {
  if (!bus.isRegistered(name)) throw new AriHttpError(404, { message: 'Application not found' });
  return application(name);
}

function asteriskInfo(core: AsteriskCore) {
  const started = core.startedAt.toISOString().replace('Z', '+0000');
  return {
    build: { os: 'Linux', kernel: 'parley-sim', machine: process.arch, options: 'OPTIONAL_API', date: started, user: 'parley' },
    system: { version: '22.10.1', entity_id: core.bus.asteriskId },
    config: { name: 'parley-sim', default_language: 'en', setid: { user: '', group: '' } },
    status: { startup_time: started, last_reload_time: started },
  };
}
