import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { API_CONTROLLERS } from '../src/openapi/api-controllers';
import { buildOpenApiDocument } from '../src/openapi/openapi-document';
import { OpenApiController } from '../src/openapi/openapi.controller';

const run = promisify(execFile);

// Issue 22: the document the SDKs are generated from passes an established linter's recommended rules (Redocly CLI).
describe('the OpenAPI document', () => {
  it("passes Redocly's recommended rules: unique operationIds, unambiguous paths, a license, no invalid schema", async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'parley-openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(buildOpenApiDocument([...API_CONTROLLERS(), OpenApiController], '0.0.0')));
    const redocly = join(__dirname, '..', 'node_modules', '.bin', 'redocly');
    // It exits 1 on errors only; the JSON report counts the warnings too.
    const stdout = await run(redocly, ['lint', file, '--format=json'], { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }).then(
      (r) => r.stdout,
      (err: { stdout?: string }) => err.stdout ?? '',
    );
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }> };
    const problems = report.problems.map((p) => `${p.ruleId}: ${p.message} (${p.location[0]?.pointer})`);
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('is the one the TypeScript SDK was generated from (pnpm --filter @parley/sdk generate after an API change)', () => {
    const sdk = JSON.parse(readFileSync(join(__dirname, '../../../packages/sdk/openapi.json'), 'utf8'));
    expect(sdk).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(API_CONTROLLERS(), '1.0.0'))));
  });

  it('refuses two routes with one operationId', () => {
    const doc = buildOpenApiDocument([...API_CONTROLLERS(), OpenApiController], '0.0.0') as { paths: Record<string, Record<string, { operationId: string }>> };
    const ids = Object.values(doc.paths).flatMap((m) => Object.values(m).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
