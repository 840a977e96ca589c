import { parleyProject } from '../../vitest.shared';

export default parleyProject('common', { decorators: false });
