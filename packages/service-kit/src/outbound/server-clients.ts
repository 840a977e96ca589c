import { createHash } from 'node:crypto';

/**
 * One client per server and key (agents' own model servers), kept across calls so their connections are reused: a new
 * client would open a new connection, TLS included, on every call's first request. The least recently used goes past
 * `max`. The key is part of a client's identity only as a hash.
 */
export class ServerClients<T> {
  private readonly clients = new Map<string, T>();

  constructor(
    private readonly make: (baseUrl: string, apiKey: string | null) => T,
    private readonly max = 64,
  ) {}

  get(baseUrl: string, apiKey: string | null): T {
    const id = `${baseUrl} ${createHash('sha256').update(apiKey ?? '').digest('base64url')}`;
    let client = this.clients.get(id);
    if (client) this.clients.delete(id);
    else client = this.make(baseUrl, apiKey);
    this.clients.set(id, client);
    if (this.clients.size > this.max) this.clients.delete(this.clients.keys().next().value!);
    return client;
  }
}
