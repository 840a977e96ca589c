import { parleyProject } from '../../vitest.shared';

export default parleyProject('recording-store');
