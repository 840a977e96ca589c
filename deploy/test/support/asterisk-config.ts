/**
 * A small parser of Asterisk's configuration syntax (main/config.c): `[section]` headers with optional
 * `(template,...)`, `(!)` or `(+)`, `key = value` and `key => value` options, `;` comments (`\;` is a literal
 * semicolon), `;-- ... --;` block comments, and `#include` / `#tryinclude` directives. Anything else is an error,
 * as Asterisk would refuse or misread it.
 */
export interface AsteriskOption {
  key: string;
  value: string;
  line: number;
}

export interface AsteriskSection {
  name: string;
  /** What follows the name in parentheses: `!` (template), `+` (append), or template names. */
  modifiers: string[];
  options: AsteriskOption[];
  line: number;
}

export interface AsteriskConfig {
  sections: AsteriskSection[];
  includes: { directive: 'include' | 'tryinclude'; file: string; line: number }[];
}

export class AsteriskConfigError extends Error {}

export function parseAsteriskConfig(text: string, file = 'config'): AsteriskConfig {
  const sections: AsteriskSection[] = [];
  const includes: AsteriskConfig['includes'] = [];
  let current: AsteriskSection | null = null;
  let inBlockComment = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!;
    if (inBlockComment) {
      const end = line.indexOf('--;');
      if (end < 0) continue;
      inBlockComment = false;
      line = line.slice(end + 3);
    }
    const blockStart = line.indexOf(';--');
    if (blockStart >= 0) {
      const end = line.indexOf('--;', blockStart + 3);
      if (end < 0) {
        inBlockComment = true;
        line = line.slice(0, blockStart);
      } else {
        line = line.slice(0, blockStart) + line.slice(end + 3);
      }
    }
    line = stripComment(line).trim();
    if (line === '') continue;

    const directive = /^#(include|tryinclude)\s+("?)(.+?)\2$/.exec(line);
    if (directive) {
      includes.push({ directive: directive[1] as 'include' | 'tryinclude', file: directive[3]!.trim(), line: lineNo });
      continue;
    }
    if (line.startsWith('#')) throw new AsteriskConfigError(`${file}:${lineNo}: unknown directive "${line}"`);

    if (line.startsWith('[')) {
      const header = /^\[([^\]]+)\](?:\(([^)]*)\))?$/.exec(line);
      if (!header) throw new AsteriskConfigError(`${file}:${lineNo}: bad section header "${line}"`);
      const modifiers = header[2] === undefined ? [] : header[2].split(',').map((m) => m.trim());
      if (modifiers.some((m) => m === '')) throw new AsteriskConfigError(`${file}:${lineNo}: empty modifier in "${line}"`);
      current = { name: header[1]!.trim(), modifiers, options: [], line: lineNo };
      sections.push(current);
      continue;
    }

    const option = /^([^=\s][^=]*?)\s*=>?\s*(.*)$/.exec(line);
    if (!option) throw new AsteriskConfigError(`${file}:${lineNo}: not an option, section or directive: "${line}"`);
    if (!current) throw new AsteriskConfigError(`${file}:${lineNo}: option "${option[1]}" outside any section`);
    current.options.push({ key: option[1]!.trim(), value: option[2]!.replace(/\\;/g, ';').trim(), line: lineNo });
  }
  if (inBlockComment) throw new AsteriskConfigError(`${file}: unterminated ;-- block comment`);
  return { sections, includes };
}

function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === ';' && line[i - 1] !== '\\') return line.slice(0, i);
  }
  return line;
}

/** Sections with that name (Asterisk allows repeats; `(+)` appends to an earlier one). */
export function sectionsNamed(config: AsteriskConfig, name: string): AsteriskSection[] {
  return config.sections.filter((s) => s.name === name);
}

/** The single section with that name, or an error naming what exists. */
export function section(config: AsteriskConfig, name: string): AsteriskSection {
  const found = sectionsNamed(config, name);
  if (found.length !== 1) throw new Error(`expected one [${name}] section, found ${found.length} (sections: ${config.sections.map((s) => s.name).join(', ')})`);
  return found[0]!;
}

export function values(s: AsteriskSection, key: string): string[] {
  return s.options.filter((o) => o.key === key).map((o) => o.value);
}

export function value(s: AsteriskSection, key: string): string | undefined {
  const all = values(s, key);
  if (all.length > 1) throw new Error(`[${s.name}] sets ${key} ${all.length} times`);
  return all[0];
}
