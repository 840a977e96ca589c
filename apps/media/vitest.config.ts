import { parleyProject } from '../../vitest.shared';

export default parleyProject('media', { decorators: true });
