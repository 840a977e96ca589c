import { parleyProject } from '../vitest.shared';

// Whole calls take tens of seconds each.
export default parleyProject('e2e', { timeoutMs: 240_000 });
