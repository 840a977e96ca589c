import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';

// The TypeScript examples of the repository's README compile against this SDK's types: a renamed method or field, or
// a wrong parameter, fails here rather than in a reader's editor.
const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '..', '..', '..', 'README.md'), 'utf8');

const IMPORTS = `import { Parley } from '@parley/sdk';\nimport { readFileSync, writeFileSync } from 'node:fs';\n`;
/** What the examples take as given, unless they make it: the client, objects made in earlier examples, a receiver's request. */
const GIVEN: Record<string, string> = {
  client: 'Parley',
  agent: '{ id: string }',
  number: '{ id: string }',
  trunk: '{ id: string }',
  rawBody: 'string',
  request: '{ headers: Record<string, string> }',
};

function prelude(body: string): string {
  const given = Object.entries(GIVEN).filter(([name]) => !new RegExp(`\\b(const|let) ${name}\\b`).test(body));
  // One line per name whatever the block declares, so line numbers in messages are the example's.
  return IMPORTS + Object.keys(GIVEN).map((name) => (given.some(([n]) => n === name) ? `declare const ${name}: ${GIVEN[name]};` : '')).join('\n') + '\n';
}
const PRELUDE_LINES = prelude('').split('\n').length;

function examples(): string[] {
  const api = readme.split('\n## API\n')[1] ?? '';
  return [...api.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((code) => code.includes('client.'));
}

it('compiles every TypeScript example of the README against the SDK', () => {
  const blocks = examples();
  expect(blocks.length).toBeGreaterThanOrEqual(9);
  const files = new Map<string, string>();
  blocks.forEach((code, i) => {
    const body = code.replace(/^import .*$/gm, '');
    files.set(join(here, `readme-example-${i}.ts`), `${prelude(body)}${body}\nexport {};\n`);
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.asynciterable.d.ts'],
    types: ['node'],
    baseUrl: here,
    paths: { '@parley/sdk': [join(here, 'index.ts')] },
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (name) => files.get(name) ?? read(name);
  const exists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || exists(name);
  const program = ts.createProgram([...files.keys()], options, host);
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && files.has(d.file.fileName))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      const example = Number(/readme-example-(\d+)/.exec(d.file!.fileName)![1]);
      return `example ${example + 1}, line ${line + 2 - PRELUDE_LINES}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}\n  ${d.file!.text.split('\n')[line]}`;
    });
  expect(problems).toEqual([]);
});
