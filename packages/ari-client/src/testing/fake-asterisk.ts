import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A minimal stand-in for Asterisk's HTTP + events WebSocket, scripted per test. */
export class FakeAsterisk {
  readonly requests: RecordedRequest[] = [];
  readonly sockets = new Set<WebSocket>();
  /** Upgrade URLs, one per WebSocket connection. */
  readonly upgrades: string[] = [];
  reply: (req: RecordedRequest) => { status: number; body?: unknown } = () => ({ status: 204 });
  rejectUpgradeWith: number | undefined;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    this.wss = new WebSocketServer({ noServer: true });
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => {
      if (this.rejectUpgradeWith) {
        socket.end(`HTTP/1.1 ${this.rejectUpgradeWith} Nope\r\n\r\n`);
        return;
      }
      this.upgrades.push(req.url ?? '');
      this.wss!.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.add(ws);
        ws.on('close', () => this.sockets.delete(ws));
      });
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  broadcast(event: object): void {
    for (const ws of this.sockets) ws.send(JSON.stringify(event));
  }

  /** Drops every WebSocket without a close frame, like a crashed Asterisk. */
  dropSockets(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss?.close();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const url = new URL(req.url ?? '/', 'http://fake');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    this.requests.push(recorded);
    const { status, body } = this.reply(recorded);
    if (body === undefined) {
      res.writeHead(status, { 'content-length': 0 });
      res.end();
    } else {
      const json = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(json);
    }
  }
}

export function event(type: string, extra: object = {}): object {
  return { type, timestamp: '2026-11-23T19:32:45.368+0000', application: 'dialer', asterisk_id: '02:fc:00:00:00:01', ...extra };
}
