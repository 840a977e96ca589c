import { parleyProject } from '../../vitest.shared';

export default parleyProject('sdk');
