import { parleyProject } from '../../vitest.shared';

export default parleyProject('dialer', { decorators: true });
