import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT } from '@parley/launcher';
import { APPOINTMENT_REMINDER_CALLEE_LINES } from '@parley/sandbox-llm';
import { type Account, startTestPlatform, type TestPlatform } from './platform-harness';

// Issue 22: the Python SDK's tests (sdks/python/tests) against the running product, unit and stack tests in one run.
const run = promisify(execFile);
const SDK = join(REPO_ROOT, 'sdks', 'python');

/** The first Python that has httpx and pytest (Debian's packages live under /usr/bin/python3, not a pyenv's). */
function python(): string {
  for (const candidate of [process.env.PARLEY_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean) as string[]) {
    try {
      execFileSync(candidate, ['-c', 'import httpx, pytest'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // the next one
    }
  }
  throw new Error('no python3 with httpx and pytest: apt-get install python3-httpx python3-pytest (scripts/setup.sh does)');
}

let tp: TestPlatform;
let account: Account;
beforeAll(async () => {
  tp = await startTestPlatform({ CAMPAIGN_TICK_MS: '500' });
  account = await tp.createAccount('Python SDK user');
});
afterAll(async () => {
  await tp?.stop();
});

it('passes its pytest suite against the running stack, skipping nothing', async () => {
  const env = {
    ...process.env,
    PYTHONPATH: join(SDK, 'src'),
    PYTHONDONTWRITEBYTECODE: '1',
    PARLEY_API_KEY: account.api_key,
    PARLEY_BASE_URL: tp.platform.apiUrl,
    PARLEY_SIM_URL: tp.platform.simUrl,
    PARLEY_SANDBOX_TRUNK_ID: account.sandbox_trunk_id,
    PARLEY_ACCOUNT_ID: account.account_id,
    PARLEY_CALLEE_LINES: JSON.stringify(APPOINTMENT_REMINDER_CALLEE_LINES),
  };
  const result = await run(python(), ['-m', 'pytest', '-p', 'no:cacheprovider', '-rs', '-v', 'tests'], { cwd: SDK, env, maxBuffer: 16 << 20 }).catch(
    (err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) }),
  );
  const summary = result.stdout.trim().split('\n').at(-1) ?? '';
  expect(summary, `${result.stdout}\n${result.stderr}`).toMatch(/^=+ \d+ passed in /);
  // Every stack test ran (none skipped for want of the stack).
  expect(result.stdout).toContain('test_stack.py::test_the_callingbox_example_unchanged_but_for_the_import_and_the_client PASSED');
  expect(result.stdout).toContain('test_stack.py::test_the_readme_quick_start_runs_as_written_from_a_pip_installed_copy PASSED');
});
