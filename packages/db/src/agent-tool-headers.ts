/**
 * Agents' HTTP tools keep their header values (often `Authorization: Bearer ...`) sealed inside the `agents.tools`
 * jsonb. This maps every header value of every http tool (null drops the header), leaving the rest as it is.
 */
export function mapToolHeaders(tools: readonly unknown[], fn: (value: string, header: string, tool: string) => string | null): unknown[] {
  return tools.map((tool) => {
    if (!isHttpTool(tool) || !tool.headers) return tool;
    const headers: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(tool.headers)) {
      const mapped = typeof value === 'string' ? fn(value, name, String(tool.name)) : value;
      if (mapped !== null) headers[name] = mapped;
    }
    return { ...tool, headers };
  });
}

function isHttpTool(tool: unknown): tool is { type: 'http'; name?: unknown; headers?: Record<string, unknown> } {
  if (typeof tool !== 'object' || tool === null || (tool as { type?: unknown }).type !== 'http') return false;
  const headers = (tool as { headers?: unknown }).headers;
  return headers === undefined || (typeof headers === 'object' && headers !== null && !Array.isArray(headers));
}
