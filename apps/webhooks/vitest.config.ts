import { parleyProject } from '../../vitest.shared';

export default parleyProject('webhooks', { decorators: true });
