// One line per aggregate's repository.
export * from './db-repository';
