import type { DynamicConfig } from './dynamic-config';
import type { EndpointStates } from './endpoint-states';

/** The PJSIP endpoints calls can go out on or come in from: `sandbox`, the static ones and those pushed at runtime. */
export class Endpoints {
  constructor(
    private readonly config: DynamicConfig,
    private readonly staticEndpoints: string[],
    private readonly states: EndpointStates,
  ) {}

  exists(name: string): boolean {
    return name === 'sandbox' || this.staticEndpoints.includes(name) || this.config.hasEndpoint(name);
  }

  /** Whether a channel can be requested on it: it exists and has a contact not known Unreachable. */
  dialable(name: string): boolean {
    return this.exists(name) && this.states.dialable(name);
  }

  names(): string[] {
    return [...new Set(['sandbox', ...this.staticEndpoints, ...this.config.endpointIds()])];
  }

  /** The dialplan context the endpoint's calls run in. */
  context(name: string): string {
    return this.config.endpointAttribute(name, 'context') ?? 'from-trunk';
  }
}
