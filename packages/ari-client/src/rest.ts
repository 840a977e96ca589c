import { AriError, asteriskMessageOf } from './errors';
import type {
  Application,
  AsteriskInfo,
  AsteriskPing,
  Bridge,
  Channel,
  ConfigTuple,
  Endpoint,
  LiveRecording,
  Playback,
  StoredRecording,
} from './types';

export interface AriHttpOptions {
  /** `http://host:8088` or `http://host:8088/ari`. */
  url: string;
  username: string;
  password: string;
  /** Aborts a request that takes longer; default 10 s. */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

type QueryValue = string | number | boolean | undefined | null;
export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Return the raw bytes instead of parsing JSON (stored recording files). */
  binary?: boolean;
}

/** Normalises a base URL to end in `/ari` without a trailing slash. */
export function ariBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/ari') ? trimmed : `${trimmed}/ari`;
}

/** Thin HTTP layer: auth, JSON, timeouts, and AriError for every non-2xx answer. */
export class AriHttp {
  readonly baseUrl: string;
  private readonly authHeader: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: AriHttpOptions) {
    this.baseUrl = ariBaseUrl(options.url);
    this.authHeader = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { authorization: this.authHeader, accept: 'application/json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await this.fetchImpl(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    if (options.binary && response.ok) return Buffer.from(await response.arrayBuffer()) as T;
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) {
      throw new AriError(response.status, method, path, asteriskMessageOf(parsed, response.statusText), parsed);
    }
    return parsed as T;
  }
}

const enc = encodeURIComponent;

export interface OriginateParams {
  /** `PJSIP/+15551234567@trunk`. */
  endpoint: string;
  app?: string;
  /** Joined with commas; StasisStart.args gives them back split. */
  appArgs?: string | string[];
  /** `"Name" <+15550000000>` or just the number. */
  callerId?: string;
  /** Seconds to wait for an answer (Asterisk's default is 30). */
  timeout?: number;
  /** Pass your own id so events that arrive before the HTTP response can be matched. */
  channelId?: string;
  otherChannelId?: string;
  originator?: string;
  formats?: string;
  extension?: string;
  context?: string;
  priority?: number;
  label?: string;
  variables?: Record<string, string>;
}

export interface ExternalMediaParams {
  app: string;
  /** `host:port` that Asterisk sends RTP to. */
  external_host: string;
  format: 'ulaw' | 'alaw' | 'g722' | 'slin16' | string;
  channelId?: string;
  encapsulation?: 'rtp' | 'audiosocket' | 'none';
  transport?: 'udp' | 'tcp' | 'websocket';
  connection_type?: 'client' | 'server';
  direction?: 'both' | 'in' | 'out';
  data?: string;
  variables?: Record<string, string>;
}

export interface HangupOptions {
  /** Q.850 cause code as a string, e.g. "16". */
  reason_code?: string;
  /** normal, busy, congestion, no_answer, timeout, rejected, unallocated, normal_unspecified, number_incomplete, codec_mismatch, interworking, failure, answered_elsewhere. */
  reason?: string;
}

export interface DtmfOptions {
  before?: number;
  between?: number;
  duration?: number;
  after?: number;
}

export interface PlayOptions {
  playbackId?: string;
  lang?: string;
  offsetms?: number;
  skipms?: number;
}

export interface RecordOptions {
  name: string;
  format: string;
  maxDurationSeconds?: number;
  maxSilenceSeconds?: number;
  ifExists?: 'fail' | 'overwrite' | 'append';
  beep?: boolean;
  terminateOn?: 'none' | 'any' | '*' | '#';
}

export class ChannelsApi {
  constructor(private readonly http: AriHttp) {}

  list(): Promise<Channel[]> {
    return this.http.request('GET', '/channels');
  }

  get(channelId: string): Promise<Channel> {
    return this.http.request('GET', `/channels/${enc(channelId)}`);
  }

  /** POST /channels with every parameter in the JSON body (Asterisk merges body and query). */
  originate(params: OriginateParams): Promise<Channel> {
    const { appArgs, ...rest } = params;
    const body = { ...rest, ...(appArgs !== undefined ? { appArgs: Array.isArray(appArgs) ? appArgs.join(',') : appArgs } : {}) };
    return this.http.request('POST', '/channels', { body });
  }

  hangup(channelId: string, options: HangupOptions = {}): Promise<void> {
    return this.http.request('DELETE', `/channels/${enc(channelId)}`, { query: { ...options } });
  }

  answer(channelId: string): Promise<void> {
    return this.http.request('POST', `/channels/${enc(channelId)}/answer`);
  }

  ring(channelId: string): Promise<void> {
    return this.http.request('POST', `/channels/${enc(channelId)}/ring`);
  }

  ringStop(channelId: string): Promise<void> {
    return this.http.request('DELETE', `/channels/${enc(channelId)}/ring`);
  }

  sendDtmf(channelId: string, dtmf: string, options: DtmfOptions = {}): Promise<void> {
    return this.http.request('POST', `/channels/${enc(channelId)}/dtmf`, { query: { dtmf, ...options } });
  }

  /** Blind transfer of a channel in Stasis to another endpoint, e.g. `PJSIP/+15557654321@trunk`. */
  redirect(channelId: string, endpoint: string): Promise<void> {
    return this.http.request('POST', `/channels/${enc(channelId)}/redirect`, { query: { endpoint } });
  }

  continueInDialplan(channelId: string, where: { context?: string; extension?: string; priority?: number; label?: string } = {}): Promise<void> {
    return this.http.request('POST', `/channels/${enc(channelId)}/continue`, { query: where });
  }

  async getVariable(channelId: string, variable: string): Promise<string> {
    const result = await this.http.request<{ value: string }>('GET', `/channels/${enc(channelId)}/variable`, { query: { variable } });
    return result.value;
  }

  setVariable(channelId: string, variable: string, value: string): Promise<void> {
    return this.http.request('POST', `/channels/${enc(channelId)}/variable`, { query: { variable, value } });
  }

  /**
   * Creates an ExternalMedia (UnicastRTP) channel. The response's channelvars carry
   * UNICASTRTP_LOCAL_ADDRESS/PORT: Asterisk sends from and receives on that address.
   */
  externalMedia(params: ExternalMediaParams): Promise<Channel> {
    const { variables, ...query } = params;
    return this.http.request('POST', '/channels/externalMedia', {
      query: { encapsulation: 'rtp', transport: 'udp', connection_type: 'client', direction: 'both', ...query },
      body: variables ? { variables } : undefined,
    });
  }

  play(channelId: string, media: string | string[], options: PlayOptions = {}): Promise<Playback> {
    return this.http.request('POST', `/channels/${enc(channelId)}/play`, {
      query: { media: Array.isArray(media) ? media.join(',') : media, ...options },
    });
  }

  record(channelId: string, options: RecordOptions): Promise<LiveRecording> {
    return this.http.request('POST', `/channels/${enc(channelId)}/record`, { query: { ...options } });
  }
}

export class BridgesApi {
  constructor(private readonly http: AriHttp) {}

  list(): Promise<Bridge[]> {
    return this.http.request('GET', '/bridges');
  }

  get(bridgeId: string): Promise<Bridge> {
    return this.http.request('GET', `/bridges/${enc(bridgeId)}`);
  }

  /** `type` is a comma list: mixing, holding, dtmf_events, proxy_media, video_sfu, video_single. */
  create(params: { bridgeId?: string; type?: string; name?: string } = {}): Promise<Bridge> {
    return this.http.request('POST', '/bridges', { query: { type: 'mixing', ...params } });
  }

  destroy(bridgeId: string): Promise<void> {
    return this.http.request('DELETE', `/bridges/${enc(bridgeId)}`);
  }

  addChannel(bridgeId: string, channel: string | string[], options: { role?: string; absorbDTMF?: boolean; mute?: boolean } = {}): Promise<void> {
    return this.http.request('POST', `/bridges/${enc(bridgeId)}/addChannel`, {
      query: { channel: Array.isArray(channel) ? channel.join(',') : channel, ...options },
    });
  }

  removeChannel(bridgeId: string, channel: string | string[]): Promise<void> {
    return this.http.request('POST', `/bridges/${enc(bridgeId)}/removeChannel`, {
      query: { channel: Array.isArray(channel) ? channel.join(',') : channel },
    });
  }

  play(bridgeId: string, media: string | string[], options: PlayOptions = {}): Promise<Playback> {
    return this.http.request('POST', `/bridges/${enc(bridgeId)}/play`, {
      query: { media: Array.isArray(media) ? media.join(',') : media, ...options },
    });
  }

  record(bridgeId: string, options: RecordOptions): Promise<LiveRecording> {
    return this.http.request('POST', `/bridges/${enc(bridgeId)}/record`, { query: { ...options } });
  }
}

export class PlaybacksApi {
  constructor(private readonly http: AriHttp) {}

  get(playbackId: string): Promise<Playback> {
    return this.http.request('GET', `/playbacks/${enc(playbackId)}`);
  }

  stop(playbackId: string): Promise<void> {
    return this.http.request('DELETE', `/playbacks/${enc(playbackId)}`);
  }

  control(playbackId: string, operation: 'restart' | 'pause' | 'unpause' | 'reverse' | 'forward'): Promise<void> {
    return this.http.request('POST', `/playbacks/${enc(playbackId)}/control`, { query: { operation } });
  }
}

export class EndpointsApi {
  constructor(private readonly http: AriHttp) {}

  list(): Promise<Endpoint[]> {
    return this.http.request('GET', '/endpoints');
  }

  /** The endpoints of one technology, e.g. `PJSIP`; 404 for a technology Asterisk does not have. */
  listByTech(tech: string): Promise<Endpoint[]> {
    return this.http.request('GET', `/endpoints/${enc(tech)}`);
  }

  /** One endpoint with its state; 404 ("Endpoint not found") when Asterisk has no such endpoint. */
  get(tech: string, resource: string): Promise<Endpoint> {
    return this.http.request('GET', `/endpoints/${enc(tech)}/${enc(resource)}`);
  }
}

export class RecordingsApi {
  constructor(private readonly http: AriHttp) {}

  getLive(name: string): Promise<LiveRecording> {
    return this.http.request('GET', `/recordings/live/${enc(name)}`);
  }

  /** Stops and stores the recording. */
  stop(name: string): Promise<void> {
    return this.http.request('POST', `/recordings/live/${enc(name)}/stop`);
  }

  /** Stops and discards the recording. */
  cancel(name: string): Promise<void> {
    return this.http.request('DELETE', `/recordings/live/${enc(name)}`);
  }

  listStored(): Promise<StoredRecording[]> {
    return this.http.request('GET', '/recordings/stored');
  }

  getStored(name: string): Promise<StoredRecording> {
    return this.http.request('GET', `/recordings/stored/${enc(name)}`);
  }

  getStoredFile(name: string): Promise<Buffer> {
    return this.http.request('GET', `/recordings/stored/${enc(name)}/file`, { binary: true });
  }

  deleteStored(name: string): Promise<void> {
    return this.http.request('DELETE', `/recordings/stored/${enc(name)}`);
  }
}

export class AsteriskApi {
  constructor(private readonly http: AriHttp) {}

  info(): Promise<AsteriskInfo> {
    return this.http.request('GET', '/asterisk/info');
  }

  ping(): Promise<AsteriskPing> {
    return this.http.request('GET', '/asterisk/ping');
  }

  /** Sorcery objects pushed at runtime, e.g. ('res_pjsip', 'endpoint', 'trunk-42'). */
  getObject(configClass: string, objectType: string, id: string): Promise<ConfigTuple[]> {
    return this.http.request('GET', `/asterisk/config/dynamic/${enc(configClass)}/${enc(objectType)}/${enc(id)}`);
  }

  putObject(configClass: string, objectType: string, id: string, fields: Record<string, string> | ConfigTuple[]): Promise<ConfigTuple[]> {
    const tuples = Array.isArray(fields) ? fields : Object.entries(fields).map(([attribute, value]) => ({ attribute, value }));
    return this.http.request('PUT', `/asterisk/config/dynamic/${enc(configClass)}/${enc(objectType)}/${enc(id)}`, {
      body: { fields: tuples },
    });
  }

  deleteObject(configClass: string, objectType: string, id: string): Promise<void> {
    return this.http.request('DELETE', `/asterisk/config/dynamic/${enc(configClass)}/${enc(objectType)}/${enc(id)}`);
  }

  async getGlobalVariable(variable: string): Promise<string> {
    const result = await this.http.request<{ value: string }>('GET', '/asterisk/variable', { query: { variable } });
    return result.value;
  }

  setGlobalVariable(variable: string, value: string): Promise<void> {
    return this.http.request('POST', '/asterisk/variable', { query: { variable, value } });
  }
}

export class ApplicationsApi {
  constructor(private readonly http: AriHttp) {}

  get(app: string): Promise<Application> {
    return this.http.request('GET', `/applications/${enc(app)}`);
  }

  /** eventSource: `channel:<id>`, `bridge:<id>`, `endpoint:<tech>/<resource>`, `deviceState:<name>`. */
  subscribe(app: string, eventSource: string): Promise<Application> {
    return this.http.request('POST', `/applications/${enc(app)}/subscription`, { query: { eventSource } });
  }

  unsubscribe(app: string, eventSource: string): Promise<Application> {
    return this.http.request('DELETE', `/applications/${enc(app)}/subscription`, { query: { eventSource } });
  }
}
