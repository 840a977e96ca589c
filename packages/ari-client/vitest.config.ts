import { parleyProject } from '../../vitest.shared';

export default parleyProject('ari-client');
