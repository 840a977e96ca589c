import { parleyProject } from '../../vitest.shared';

export default parleyProject('api', { decorators: true });
