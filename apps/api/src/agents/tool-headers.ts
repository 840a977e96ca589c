import { type AgentTool, TOOL_HEADER_MASK } from '@parley/common';
import { mapToolHeaders, type SecretBox } from '@parley/db';
import { ApiError } from '../http/api-error';

/**
 * HTTP tool header values are write-only, like trunk passwords: stored sealed, answered masked. A tool given again
 * (same name) without headers keeps its stored ones, and a header given as the mask keeps its stored value, so an
 * agent read and written back as a whole loses nothing.
 */
export function toolsToStore(input: AgentTool[], stored: readonly unknown[], secrets: SecretBox): AgentTool[] {
  const storedHeaders = new Map<string, Record<string, string>>();
  for (const tool of stored as AgentTool[]) if (tool.type === 'http') storedHeaders.set(tool.name, tool.headers ?? {});
  return input.map((tool, index) => {
    if (tool.type !== 'http') return tool;
    const before = storedHeaders.get(tool.name) ?? {};
    if (tool.headers === undefined) return { ...tool, headers: before };
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(tool.headers)) {
      if (value !== TOOL_HEADER_MASK) {
        headers[name] = secrets.seal(value);
        continue;
      }
      const kept = before[name] ?? Object.entries(before).find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
      if (kept === undefined) throw ApiError.invalid(`tools[${index}].headers.${name} is the mask "${TOOL_HEADER_MASK}", but tool '${tool.name}' has no stored value for it: send the value`, 'tools');
      headers[name] = kept;
    }
    return { ...tool, headers };
  });
}

/** The tools as the api answers them: every header value replaced by the mask. */
export function maskedTools(stored: readonly unknown[]): AgentTool[] {
  return mapToolHeaders(stored, () => TOOL_HEADER_MASK) as AgentTool[];
}
