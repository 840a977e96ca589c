import type { DataSource, EntityManager } from 'typeorm';

/** What a repository runs its queries on: the pool, or the manager of a transaction in progress. */
export type Queryable = DataSource | EntityManager;

/**
 * The base of every repository: the only classes that hold SQL. A repository is built on the pool; `with(manager)`
 * gives the same repository inside a transaction, so a service can span several aggregates in one:
 * `ds.transaction((m) => Promise.all([calls.with(m).end(...), ledger.with(m).debit(...)]))`.
 */
export abstract class DbRepository {
  constructor(protected readonly db: Queryable) {}

  with(manager: EntityManager): this {
    const Self = this.constructor as new (db: Queryable) => this;
    return new Self(manager);
  }
}

/** A repository class, as the services' dependency injection sees it. */
export type RepositoryClass<T extends DbRepository = DbRepository> = new (db: Queryable) => T;
