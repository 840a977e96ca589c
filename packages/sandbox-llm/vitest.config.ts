import { parleyProject } from '../../vitest.shared';

export default parleyProject('sandbox-llm', { decorators: false });
