import { InitialSchema1732406400000 } from './1732406400000-initial-schema';

/** Every migration, in order. Add new ones at the end; never edit one that has shipped. */
export const MIGRATIONS = [InitialSchema1732406400000];
