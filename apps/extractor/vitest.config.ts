import { parleyProject } from '../../vitest.shared';

export default parleyProject('extractor', { decorators: true });
