export * from './entities';
export * from './migrations';
export * from './data-source';
export * from './secret-box';
export * from './test-database';
export { DataSource, EntityManager, Repository } from 'typeorm';
