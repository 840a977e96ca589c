import type { Trunk } from '@parley/common';
import type { TrunkEntity } from '@parley/db';

export function trunkView(t: TrunkEntity): Trunk {
  return {
    id: t.id,
    object: 'trunk',
    name: t.name,
    sandbox: t.sandbox,
    host: t.host,
    port: t.port,
    transport: t.transport,
    username: t.username,
    has_password: t.passwordEncrypted !== null,
    from_domain: t.fromDomain,
    codecs: t.codecs,
    max_concurrent_calls: t.maxConcurrentCalls,
    calls_per_second: t.callsPerSecond,
    register: t.register,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}
