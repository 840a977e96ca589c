import type { DynamicConfig } from './dynamic-config';

/** The PJSIP endpoints calls can go out on or come in from: `sandbox`, the static ones and those pushed at runtime. */
export class Endpoints {
  constructor(
    private readonly config: DynamicConfig,
    private readonly staticEndpoints: string[],
  ) {}

  exists(name: string): boolean {
    return name === 'sandbox' || this.staticEndpoints.includes(name) || this.config.hasEndpoint(name);
  }

  names(): string[] {
    return [...new Set(['sandbox', ...this.staticEndpoints, ...this.config.endpointIds()])];
  }

  /** The dialplan context the endpoint's calls run in. */
  context(name: string): string {
    return this.config.endpointAttribute(name, 'context') ?? 'from-trunk';
  }
}
