/** Fills `{{name}}` placeholders (dotted paths allowed) from context; unknown names stay as written. */
export function fillPlaceholders(template: string, context: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g, (whole, path: string) => {
    let value: unknown = context;
    for (const part of path.split('.')) {
      if (value && typeof value === 'object' && part in (value as Record<string, unknown>)) value = (value as Record<string, unknown>)[part];
      else return whole;
    }
    if (value === null || value === undefined) return whole;
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

/**
 * The system prompt of a call: persona, then instructions, with placeholders filled. The context itself is
 * not pasted in; the media service gives it to the model as a separate data message.
 */
export function renderPrompt(input: { persona: string | null; instructions: string | null; context: Record<string, unknown> }): string {
  const parts: string[] = [];
  if (input.persona?.trim()) parts.push(fillPlaceholders(input.persona.trim(), input.context));
  if (input.instructions?.trim()) parts.push(fillPlaceholders(input.instructions.trim(), input.context));
  return parts.join('\n\n');
}
