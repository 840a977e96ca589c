import { parleyProject } from '../../vitest.shared';

export default parleyProject('db', { decorators: true });
