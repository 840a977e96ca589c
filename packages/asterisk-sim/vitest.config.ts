import { parleyProject } from '../../vitest.shared';

export default parleyProject('asterisk-sim');
