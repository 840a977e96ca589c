// One line per aggregate's repository.
export * from './db-repository';
export * from './page';
export * from './accounts.repository';
export * from './trunks.repository';
export * from './webhook-deliveries.repository';
export * from './webhook-endpoints.repository';
export * from './phone-numbers.repository';
export * from './calls.repository';
export * from './agents.repository';
export * from './outbox.repository';
export * from './credit-ledger.repository';
export * from './api-keys.repository';
export * from './stored-secrets.repository';
export * from './trunk-slots.repository';
export * from './dialer-instances.repository';
export * from './do-not-call.repository';
export * from './campaigns.repository';
