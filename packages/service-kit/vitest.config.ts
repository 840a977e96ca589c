import { parleyProject } from '../../vitest.shared';

export default parleyProject('service-kit', { decorators: true });
