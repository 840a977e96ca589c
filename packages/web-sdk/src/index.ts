/**
 * @parley/web: talk to a Parley agent from a browser. Your backend creates the web call (POST /v1/calls/web, with
 * its API key) and hands the page the call's `access_token`; the page starts the call with it:
 *
 *   const call = new ParleyWebCall({ baseUrl: 'https://parley.example.com' });
 *   call.on('transcript', (segment) => console.log(segment.role, segment.text));
 *   call.on('ended', ({ reason }) => console.log('ended:', reason));
 *   await call.start({ accessToken });
 *   // ... call.mute(), call.unmute(), call.end()
 *
 * No framework, no dependency: WebRTC (the browser's own) to a Parley media process, signalled over HTTP.
 */

export type WebCallState = 'idle' | 'connecting' | 'connected' | 'ended';

/** A line of the live transcript, as the API's transcript shows it. */
export interface TranscriptSegment {
  index: number;
  role: 'agent' | 'user';
  text: string;
  start_ms: number;
  end_ms: number;
  interrupted: boolean;
}

/**
 * Why the call ended: `caller_hangup` (end() or the page), `agent` (the agent hung up), `api` (ended through the
 * API), `max_duration`, `connection_lost`, `not_connected`, or another reason the server gives.
 */
export interface WebCallEnded {
  reason: string;
  hangup_by: 'caller' | 'agent' | 'api' | 'system' | null;
}

/**
 * What can go wrong, by `code`: `access_token_expired`, `access_token_used`, `access_token_invalid` (ask your
 * backend for a new web call), `microphone_denied`, `microphone_unavailable`, `web_call_unavailable` (no media
 * process could take it), `connection_lost`, `network_error`, or another API error code.
 */
export class ParleyWebCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The API's HTTP status, when the API answered. */
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'ParleyWebCallError';
  }
}

export interface ParleyWebCallOptions {
  /** Where the Parley API is, e.g. https://parley.example.com (no trailing /v1). */
  baseUrl: string;
  /** STUN/TURN servers for the browser, when it is behind a NAT the media process cannot reach directly. */
  iceServers?: RTCIceServer[];
  /** Where to play the agent (default: an <audio> element of its own, not in the document). */
  audioElement?: HTMLAudioElement;
  /** Level (0-1, RMS) above which a side counts as speaking. Default 0.02. */
  speakingThreshold?: number;
}

export interface StartOptions {
  accessToken: string;
  /** STUN/TURN servers for this call (the web call's `ice_servers`); else the constructor's. */
  iceServers?: RTCIceServer[];
  /** Microphone constraints; echo cancellation, noise suppression and gain control are on unless you turn them off. */
  audio?: MediaTrackConstraints;
}

interface Events {
  state: WebCallState;
  connected: { callId: string };
  'agent-speaking': boolean;
  'caller-speaking': boolean;
  transcript: TranscriptSegment;
  ended: WebCallEnded;
  error: ParleyWebCallError;
}

type Listener<T> = (value: T) => void;

/** How long the page waits for its ICE candidates before sending the offer with those it has. */
const GATHER_TIMEOUT_MS = 2000;
/** How long the page waits, its media up, for the media process to say it counts the call as answered. */
const ANSWERED_WAIT_MS = 3000;
/** A side stops "speaking" after this long under the threshold. */
const SPEAKING_HANGOVER_MS = 300;

export class ParleyWebCall {
  /** The call's id, once connected (Parley-Call-Id). */
  callId: string | null = null;
  state: WebCallState = 'idle';
  /** The microphone, once started; the agent's audio, once connected. */
  localStream: MediaStream | null = null;
  remoteStream: MediaStream | null = null;

  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();
  private pc: RTCPeerConnection | null = null;
  private token: string | null = null;
  private session: string | null = null;
  private audio: AudioContext | null = null;
  private meter: number | undefined;
  private readonly speaking = { agent: false, caller: false };
  private answered: (() => void) | null = null;

  constructor(private readonly options: ParleyWebCallOptions) {
    this.options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
  }

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners.get(event)?.delete(listener as Listener<never>);
  }

  /** Opens the microphone, connects to the agent, and resolves once the call's media is up. */
  async start({ accessToken, audio, iceServers }: StartOptions): Promise<void> {
    if (this.state !== 'idle') throw new ParleyWebCallError('already_started', 'This call was started already; make a new ParleyWebCall for another call');
    this.token = accessToken;
    this.setState('connecting');
    try {
      this.localStream = await openMicrophone(audio);
      const pc = new RTCPeerConnection({ iceServers: iceServers ?? this.options.iceServers ?? [] });
      this.pc = pc;
      for (const track of this.localStream.getAudioTracks()) pc.addTrack(track, this.localStream);
      const answered = new Promise<void>((resolve) => (this.answered = resolve));
      const channel = pc.createDataChannel('parley');
      channel.onmessage = (e) => this.onServerMessage(String(e.data));
      pc.ontrack = (e) => this.onRemoteTrack(e);
      const connected = new Promise<void>((resolve, reject) => {
        pc.onconnectionstatechange = () => {
          if (pc.connectionState === 'connected') resolve();
          else if (pc.connectionState === 'failed') {
            const err = new ParleyWebCallError('connection_lost', 'The media connection to Parley failed');
            reject(err);
            this.lost(err);
          }
        };
      });
      await pc.setLocalDescription(await pc.createOffer());
      await iceGathered(pc);
      const answer = await this.post(pc.localDescription!.sdp);
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      await connected;
      // The media process says when it counts the call as answered (its end of DTLS is up a moment after ours): a
      // hang-up from then on ends an answered call, not a canceled one. One that says nothing in time is taken at its word.
      await Promise.race([answered, new Promise((r) => setTimeout(r, ANSWERED_WAIT_MS))]);
      if ((this.state as WebCallState) === 'ended') throw new ParleyWebCallError('call_ended', 'The call ended while it was connecting');
      this.setState('connected');
      this.emit('connected', { callId: this.callId! });
    } catch (err) {
      const error = err instanceof ParleyWebCallError ? err : new ParleyWebCallError('network_error', err instanceof Error ? err.message : String(err));
      this.close();
      if ((this.state as WebCallState) !== 'ended') {
        this.setState('ended');
        this.emit('ended', { reason: error.code, hangup_by: null });
      }
      throw error;
    }
  }

  /** Stops sending the microphone (the agent hears silence); unmute() sends it again. */
  mute(): void {
    for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = false;
  }

  unmute(): void {
    for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = true;
  }

  get muted(): boolean {
    return (this.localStream?.getAudioTracks() ?? []).every((t) => !t.enabled);
  }

  /** Hangs up: Parley ends the call as the caller's hang-up, and the connection closes. */
  async end(): Promise<void> {
    if (this.state === 'ended') return;
    const session = this.session;
    if (session && this.token) {
      await fetch(`${this.options.baseUrl}${session}`, { method: 'DELETE', headers: { authorization: `Bearer ${this.token}` }, keepalive: true }).catch(() => undefined);
    }
    this.finish({ reason: 'caller_hangup', hangup_by: 'caller' });
  }

  private async post(offer: string): Promise<string> {
    let res: Response;
    try {
      res = await fetch(`${this.options.baseUrl}/v1/calls/web/connect`, { method: 'POST', headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/sdp' }, body: offer });
    } catch (err) {
      throw new ParleyWebCallError('network_error', `Parley could not be reached: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (res.status !== 201) {
      const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
      throw new ParleyWebCallError(body?.error?.code ?? 'http_error', body?.error?.message ?? `Parley answered ${res.status}`, res.status);
    }
    this.callId = res.headers.get('parley-call-id');
    this.session = res.headers.get('location');
    return res.text();
  }

  private onRemoteTrack(e: RTCTrackEvent): void {
    this.remoteStream = e.streams[0] ?? new MediaStream([e.track]);
    const el = this.options.audioElement ?? new Audio();
    el.autoplay = true;
    el.srcObject = this.remoteStream;
    void el.play().catch(() => undefined);
    this.startMeters();
  }

  private onServerMessage(data: string): void {
    let message: { type?: string; segment?: TranscriptSegment; reason?: string; hangup_by?: WebCallEnded['hangup_by'] };
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type === 'connected') this.answered?.();
    else if (message.type === 'transcript' && message.segment) this.emit('transcript', message.segment);
    else if (message.type === 'ended') this.finish({ reason: message.reason ?? 'ended', hangup_by: message.hangup_by ?? null });
  }

  /** Who is speaking, from the two streams' levels (the browser's echo cancellation keeps the agent out of the mic). */
  private startMeters(): void {
    if (this.audio || !this.remoteStream || !this.localStream) return;
    const ctx = new AudioContext();
    this.audio = ctx;
    const level = (stream: MediaStream) => {
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 1024;
      ctx.createMediaStreamSource(stream).connect(analyser);
      const buf = new Float32Array(analyser.fftSize);
      return () => {
        analyser.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const v of buf) sum += v * v;
        return Math.sqrt(sum / buf.length);
      };
    };
    const sides = { agent: level(this.remoteStream), caller: level(this.localStream) };
    const threshold = this.options.speakingThreshold ?? 0.02;
    const lastLoud = { agent: 0, caller: 0 };
    this.meter = window.setInterval(() => {
      const now = performance.now();
      for (const side of ['agent', 'caller'] as const) {
        if (side === 'caller' && this.muted) lastLoud.caller = 0;
        else if (sides[side]() > threshold) lastLoud[side] = now;
        const speaking = now - lastLoud[side] < SPEAKING_HANGOVER_MS;
        if (speaking !== this.speaking[side]) {
          this.speaking[side] = speaking;
          this.emit(side === 'agent' ? 'agent-speaking' : 'caller-speaking', speaking);
        }
      }
    }, 50);
  }

  private lost(err: ParleyWebCallError): void {
    if (this.state !== 'connected') return;
    this.emit('error', err);
    this.finish({ reason: 'connection_lost', hangup_by: null });
  }

  private finish(ended: WebCallEnded): void {
    if (this.state === 'ended') return;
    this.close();
    this.setState('ended');
    this.emit('ended', ended);
  }

  private close(): void {
    window.clearInterval(this.meter);
    void this.audio?.close().catch(() => undefined);
    this.audio = null;
    this.pc?.close();
    for (const t of this.localStream?.getTracks() ?? []) t.stop();
  }

  private setState(state: WebCallState): void {
    this.state = state;
    this.emit('state', state);
  }

  private emit<K extends keyof Events>(event: K, value: Events[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<Events[K]>)(value);
      } catch {
        // A listener's error is the page's, not the call's.
      }
    }
  }
}

async function openMicrophone(audio: MediaTrackConstraints | undefined): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new ParleyWebCallError('microphone_unavailable', 'This browser gives no microphone access here (a page must be served over HTTPS or from localhost)');
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, ...audio } });
  } catch (err) {
    const name = (err as DOMException)?.name;
    if (name === 'NotAllowedError' || name === 'SecurityError') throw new ParleyWebCallError('microphone_denied', 'The microphone permission was refused');
    throw new ParleyWebCallError('microphone_unavailable', `No microphone could be opened: ${(err as Error)?.message ?? String(err)}`);
  }
}

function iceGathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState !== 'complete') return;
      clearTimeout(timer);
      resolve();
    });
  });
}
