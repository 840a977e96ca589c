import { parleyProject } from '../vitest.shared';

export default parleyProject('deploy');
