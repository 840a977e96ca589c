import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { type OutboundAddressPolicy, outboundTarget, RefusedAddressError } from '@parley/service-kit';

export interface SendRequest {
  /** `webhook-id`: the delivery id, identical on every retry. */
  id: string;
  url: string;
  /** `whsec_...`: the current secret, then a rotated one still in its grace period (each adds a signature). */
  secrets: string[];
  /** The exact JSON body. */
  body: string;
}

export interface AttemptOutcome {
  delivered: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** First bytes of the response body. */
  responseBody: string | null;
  /** 410 Gone: the receiver asks us to stop (its endpoint gets disabled). */
  gone: boolean;
  /** The URL was refused by the guard: no request was made, and retrying will not help. */
  refused: boolean;
  startedAt: Date;
}

export interface SenderOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  maxSockets: number;
}

/**
 * One signed POST (Standard Webhooks headers). No redirects are followed, at most `maxResponseBytes` of the answer is
 * read, and the whole attempt (connect, headers, body) is bounded by `timeoutMs`.
 */
export class WebhookSender {
  private readonly signers = new Map<string, Webhook>();
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(
    private readonly policy: OutboundAddressPolicy,
    private readonly opts: SenderOptions,
  ) {
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets }),
      https: new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets }),
    };
  }

  private signer(secret: string): Webhook {
    let w = this.signers.get(secret);
    if (!w) {
      w = new Webhook(secret);
      if (this.signers.size > 10_000) this.signers.clear();
      this.signers.set(secret, w);
    }
    return w;
  }

  /** The three Standard Webhooks headers for a body sent now: one signature per secret, space-separated. */
  signatureHeaders(id: string, secrets: string[], body: string, at = new Date()): Record<string, string> {
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': secrets.map((secret) => this.signer(secret).sign(id, at, body)).join(' '),
    };
  }

  send(req: SendRequest): Promise<AttemptOutcome> {
    const startedAt = new Date();
    const t0 = performance.now();
    const outcome = (o: Partial<AttemptOutcome>): AttemptOutcome => ({
      delivered: false,
      statusCode: null,
      error: null,
      responseBody: null,
      gone: false,
      refused: false,
      ...o,
      latencyMs: Math.round(performance.now() - t0),
      startedAt,
    });

    let target: ReturnType<typeof outboundTarget>;
    try {
      target = outboundTarget(this.policy, req.url);
    } catch (err) {
      return Promise.resolve(outcome({ error: (err as Error).message, refused: true }));
    }
    const { url, lookup } = target;
    const isHttps = url.protocol === 'https:';
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(req.body)),
      'user-agent': 'Parley-Webhooks/1',
      ...this.signatureHeaders(req.id, req.secrets, req.body, startedAt),
    };

    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      const finish = (o: Partial<AttemptOutcome>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome(o));
      };
      const request = (isHttps ? https : http).request(
        url,
        { method: 'POST', headers, agent: isHttps ? this.agents.https : this.agents.http, lookup: lookup as never },
        (res) => {
          const status = res.statusCode ?? 0;
          const chunks: Buffer[] = [];
          let size = 0;
          const done = () => {
            const body = Buffer.concat(chunks).toString('utf8').slice(0, this.opts.maxResponseBytes);
            const delivered = status >= 200 && status < 300;
            let error: string | null = null;
            if (status >= 300 && status < 400) error = `HTTP ${status}: redirects are not followed${res.headers.location ? ` (to ${res.headers.location})` : ''}`;
            else if (!delivered) error = `HTTP ${status}`;
            finish({ delivered, statusCode: status, error, responseBody: body || null, gone: status === 410 });
          };
          res.on('data', (c: Buffer) => {
            if (size >= this.opts.maxResponseBytes) return;
            chunks.push(c);
            size += c.length;
            if (size >= this.opts.maxResponseBytes) {
              done();
              res.destroy(); // the rest is not worth reading
            }
          });
          res.on('end', done);
          res.on('error', () => done());
          res.on('close', done);
        },
      );
      const timer = setTimeout(() => {
        finish({ error: `timed out after ${this.opts.timeoutMs} ms` });
        request.destroy();
      }, this.opts.timeoutMs);
      request.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof RefusedAddressError) finish({ error: err.message, refused: true });
        else finish({ error: `connection failed: ${err.code ?? ''}${err.code ? ' ' : ''}${err.message}`.trim() });
      });
      request.end(req.body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
