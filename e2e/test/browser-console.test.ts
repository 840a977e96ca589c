import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axe from 'axe-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { APPOINTMENT_REMINDER_AGENT, APPOINTMENT_REMINDER_CALLEE_LINES } from '@parley/sandbox-llm';
import { type Account, type Delivery, startTestPlatform, type TestPlatform } from './platform-harness';

// Issue 21: the web console in Debian's Chromium against the whole running product (services, Postgres, NATS, the
// simulator): sign in, create an agent through the form, place a sandbox call, watch it live, open it, play it.
let tp: TestPlatform;
let account: Account;
let browser: Browser;
let consoleUrl: string;
let hook: { url: string; deliveries: Delivery[] };
const SHOTS = join(tmpdir(), 'parley-console');

beforeAll(async () => {
  tp = await startTestPlatform();
  account = await tp.createAccount('Dr. Chen Dental');
  const number = await tp.api(account, 'POST', '/v1/numbers', { number: '+15550100210', trunk_id: account.sandbox_trunk_id, label: 'front desk' });
  if (number.status !== 201) throw new Error(JSON.stringify(number.body));
  hook = await tp.webhookReceiver(account.webhook_secret);
  consoleUrl = `${tp.platform.apiUrl}/console`;
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--autoplay-policy=no-user-gesture-required', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await tp?.stop();
});

/** axe-core on the page as it is: the serious and critical violations, by rule and the elements at fault. */
async function accessibilityViolations(page: Page): Promise<string[]> {
  // Through the debugging protocol: the console's Content-Security-Policy refuses inline scripts, as it should.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const result = (await page.evaluate(() => (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }))) as axe.AxeResults;
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => `${n.target.join(' ')} (${n.failureSummary?.split('\n').slice(1).join(' ').trim()})`).join(', ')}`);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe('the console in a real browser', () => {
  let page: Page;
  let callId: string;

  it('refuses a wrong key with the API words, and signs in with a right one (kept for the tab only)', async () => {
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(consoleUrl);
    await page.getByLabel('API key').fill('sk_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Invalid or revoked API key');
    expect(await accessibilityViolations(page)).toEqual([]);
    await shot(page, 'sign-in');

    await page.getByLabel('API key').fill(account.api_key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Calls' }).waitFor();
    await page.getByText('No calls yet').waitFor();
    expect(page.url()).toBe(`${consoleUrl}/calls`);
    expect(page.url()).not.toContain(account.api_key);
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([account.api_key]);
    // A reload keeps the session (this tab's storage) and the page.
    await page.reload();
    await page.getByText('No calls yet').waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('creates an agent through the form: returns checked as you type, the API refusal shown at its field', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Agents' }).click();
    await page.getByText('No agents yet').waitFor();
    await page.getByRole('button', { name: 'New agent' }).click();
    const form = page.getByRole('dialog');
    await form.getByLabel('Name').fill('Appointment reminders');
    await form.getByLabel('Persona').fill(APPOINTMENT_REMINDER_AGENT.persona);
    await form.getByLabel('Instructions').fill(APPOINTMENT_REMINDER_AGENT.instructions);
    await form.getByLabel('Sample context (for the preview)').fill(JSON.stringify({ patient_name: 'Maria Lopez' }));
    // The preview fills what the sample context has and marks what it lacks.
    await expect.poll(() => form.getByTestId('prompt-preview').textContent()).toContain('Call Maria Lopez to confirm the appointment with Dr. Chen {{appointment_time}}');
    await form.getByLabel('Returns').fill('{"confirmed": "bool"}');
    await expect.poll(() => form.getByText(/unknown type "bool"/).count()).toBe(1);
    await form.getByLabel('Returns').fill(JSON.stringify(APPOINTMENT_REMINDER_AGENT.returns));
    await expect.poll(() => form.getByText(/unknown type/).count()).toBe(0);
    await form.getByLabel('Numbers').click();
    await page.getByRole('option', { name: '+15550100210' }).click();
    await form.getByLabel('Max duration (s)').fill('120');
    // A webhook URL the API refuses: its message lands next to the field.
    await form.getByLabel('Webhook URL').fill('ftp://example.com/hook');
    await form.getByRole('button', { name: 'Create agent' }).click();
    const webhookField = form.getByLabel('Webhook URL');
    await expect.poll(async () => webhookField.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await webhookField.getAttribute('aria-describedby'))!.split(' ').filter(Boolean);
    const messages = await Promise.all(describedBy.map((id) => page.locator(`[id="${id}"]`).textContent()));
    expect(messages.join(' ')).toMatch(/http/i);
    await shot(page, 'agent-form-error');
    expect(await accessibilityViolations(page)).toEqual([]);

    await webhookField.fill(hook.url);
    await form.getByRole('button', { name: 'Create agent' }).click();
    await page.locator('[data-agent="Appointment reminders"]').waitFor();
    const agents = (await tp.api(account, 'GET', '/v1/agents')).body.data;
    expect(agents).toHaveLength(1);
    expect(agents[0]).toMatchObject({ name: 'Appointment reminders', type: 'outbound', returns: APPOINTMENT_REMINDER_AGENT.returns, webhook_url: hook.url, tools: [{ type: 'end_call' }], max_duration_seconds: 120 });
    expect(agents[0].number_ids).toHaveLength(1);
    await shot(page, 'agents');

    // Edited: what the form does not touch stays as it was.
    await page.locator('[data-agent="Appointment reminders"]').getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog');
    await edit.getByLabel('Language').fill('en-US');
    await edit.getByLabel('Ring timeout (s)').fill('45');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    const edited = (await tp.api(account, 'GET', `/v1/agents/${agents[0].id}`)).body;
    expect(edited).toMatchObject({ language: 'en-US', ring_timeout_seconds: 45, returns: APPOINTMENT_REMINDER_AGENT.returns, tools: [{ type: 'end_call' }], webhook_url: hook.url, number_ids: agents[0].number_ids, conversation: { mode: 'hosted' }, persona: APPOINTMENT_REMINDER_AGENT.persona });
  });

  it('places a sandbox call, shows its transcript live, then its result, webhook, timeline and recording', async () => {
    const maria = '+15550142210';
    await tp.scenario(maria, { outcome: 'answer', answer_after_ms: 500, lines: APPOINTMENT_REMINDER_CALLEE_LINES });
    await page.locator('[data-agent="Appointment reminders"]').getByRole('button', { name: 'Test call' }).click();
    const modal = page.getByRole('dialog');
    await modal.getByLabel('Call').fill(maria);
    await modal.getByLabel('Context').fill(JSON.stringify(APPOINTMENT_REMINDER_AGENT.context));
    await modal.getByRole('button', { name: 'Place call' }).click();
    await page.waitForURL(/\/console\/calls\/[0-9a-f-]{36}$/);
    callId = page.url().split('/').at(-1)!;

    // Live: the caller's words appear while the call is still in progress.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="call-status"]')?.textContent === 'in progress' && document.querySelectorAll('[data-testid="transcript"] [data-role="user"]').length > 0,
      null,
      { timeout: 90_000, polling: 100 },
    );
    await shot(page, 'call-live');
    await page.waitForFunction(() => document.querySelector('[data-testid="call-status"]')?.textContent === 'completed', null, { timeout: 90_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="result-status"]')?.textContent === 'completed', null, { timeout: 60_000 });
    expect(await page.locator('[data-field="reschedule_to"]').textContent()).toMatch(/friday/i);
    await expect.poll(() => page.getByRole('row', { name: /Webhook/ }).textContent(), { timeout: 30_000 }).toContain('delivered');
    expect(hook.deliveries.some((d) => d.verified && d.payload?.type === 'call.completed' && d.payload.data.id === callId)).toBe(true);
    // The call's own delivery log: its webhook_url's call.completed, delivered at the first attempt.
    await expect.poll(() => page.locator('[data-delivery="call.completed"]').first().textContent(), { timeout: 20_000 }).toContain('HTTP 200');
    await expect.poll(() => page.locator('[data-testid="timeline"] [data-event]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-event'))), { timeout: 15_000 }).toEqual(
      expect.arrayContaining(['created', 'initiated', 'ringing', 'answered', 'tool_call', 'ended', 'result']),
    );
    expect(await page.locator('[data-testid="transcript"] [data-role="agent"]').count()).toBeGreaterThan(1);
    // Each turn's latency as a bar of its stages, from the conversation_ended event.
    await expect.poll(() => page.locator('[data-testid="latency"] [data-turn]').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    // The model ended the call with its end_call tool: the timeline says so.
    expect(await page.locator('[data-testid="timeline"] [data-event="tool_call"]').first().textContent()).toContain('name: end_call');

    // The recording plays: the audio element reaches "playing" and its time moves; a transcript line seeks to it.
    const audio = page.getByTestId('recording');
    await expect.poll(() => audio.evaluate((el: HTMLAudioElement) => el.readyState), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    await audio.evaluate((el: HTMLAudioElement) => new Promise<void>((resolve) => {
      el.addEventListener('playing', () => resolve(), { once: true });
      void el.play();
    }));
    const t0 = await audio.evaluate((el: HTMLAudioElement) => el.currentTime);
    await expect.poll(() => audio.evaluate((el: HTMLAudioElement) => el.currentTime), { timeout: 10_000 }).toBeGreaterThan(t0 + 0.3);
    const userLine = page.locator('[data-testid="transcript"] [data-role="user"] button').first();
    await userLine.click();
    const seekedTo = await audio.evaluate((el: HTMLAudioElement) => el.currentTime);
    expect(seekedTo).toBeGreaterThan(1);
    await audio.evaluate((el: HTMLAudioElement) => el.pause());
    expect(await accessibilityViolations(page)).toEqual([]);
    await shot(page, 'call');
  });

  it('lists the call, with filters kept in the URL', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Calls' }).click();
    await page.locator(`[data-call-id="${callId}"]`).waitFor();
    await page.getByRole('combobox', { name: 'Status' }).click();
    await page.getByRole('option', { name: 'failed' }).click();
    await page.getByText('No call matches these filters').waitFor();
    expect(new URL(page.url()).searchParams.get('status')).toBe('failed');
    await page.goto(`${consoleUrl}/calls?status=completed`);
    await page.locator(`[data-call-id="${callId}"]`).waitFor();
    expect(await page.locator(`[data-call-id="${callId}"]`).textContent()).toContain('Appointment reminders');
    expect(await accessibilityViolations(page)).toEqual([]);
    await shot(page, 'calls');

    await page.getByRole('navigation').getByRole('link', { name: 'Billing' }).click();
    await page.getByText('Ledger').waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await shot(page, 'billing');
  });

  it('runs a campaign made through its form (recipients as CSV) and lists its calls', async () => {
    const numbers = ['+15550142301', '+15550142302'];
    for (const n of numbers) await tp.scenario(n, { outcome: 'busy', answer_after_ms: 100 });
    await page.getByRole('navigation').getByRole('link', { name: 'Campaigns' }).click();
    await page.getByText('No campaigns yet').waitFor();
    await page.getByRole('button', { name: 'New campaign' }).click();
    const form = page.getByRole('dialog');
    await form.getByLabel(/^Name/).fill('Reminders, week 49');
    await form.getByRole('combobox', { name: /^Agent/ }).click();
    await page.getByRole('option', { name: 'Appointment reminders' }).click();
    for (const day of ['Sat', 'Sun']) await form.getByLabel(day, { exact: true }).check();
    await form.getByLabel(/^From/).fill('00:00');
    await form.getByLabel(/^Until/).fill('23:59');
    await form.getByLabel(/^Lines/).fill('2');
    await form.getByLabel(/^Recipients/).fill(`to,patient_name\n${numbers[0]},Maria Lopez\n${numbers[1]},Ana Ruiz`);
    await form.getByRole('button', { name: 'Create campaign' }).click();
    const row = page.locator('[data-campaign="Reminders, week 49"]');
    await row.waitFor();
    expect(await row.getByTestId('campaign-progress').textContent()).toContain('0 of 2 done');
    await row.getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => row.getByTestId('campaign-progress').textContent(), { timeout: 60_000 }).toContain('2 of 2 done');
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('completed');
    expect(await accessibilityViolations(page)).toEqual([]);
    await shot(page, 'campaigns');
    await row.getByRole('link', { name: 'Calls' }).click();
    await expect.poll(() => page.locator('[data-call-id]').count(), { timeout: 10_000 }).toBe(2);
    expect(new URL(page.url()).searchParams.get('campaign_id')).toMatch(/^[0-9a-f-]{36}$/);
    const campaign = (await tp.api(account, 'GET', '/v1/campaigns')).body.data[0];
    expect(campaign).toMatchObject({ name: 'Reminders, week 49', status: 'completed', max_concurrent_calls: 2, schedule: { window: { start: '00:00', end: '23:59' } } });
    expect(campaign.schedule.window.days).toHaveLength(7);
  });

  it('adds a webhook endpoint (its secret shown once), sends it a test event and redelivers it from the log', async () => {
    const endpointHook = await tp.webhookReceiver('whsec_dGVzdA==');
    await page.getByRole('navigation').getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('No endpoints yet').waitFor();
    await page.getByRole('button', { name: 'New endpoint' }).click();
    const modal = page.getByRole('dialog');
    await modal.getByLabel('URL').fill(endpointHook.url);
    await modal.getByLabel(/^call\.ended/).check();
    await modal.getByRole('button', { name: 'Create endpoint' }).click();
    const secret = await page.getByTestId('endpoint-secret').textContent();
    expect(secret).toMatch(/^whsec_/);
    const endpoints = (await tp.api(account, 'GET', '/v1/webhook_endpoints')).body.data;
    expect(endpoints).toMatchObject([{ url: endpointHook.url, events: expect.arrayContaining(['call.completed', 'call.ended']), enabled: true }]);
    const card = page.locator(`[data-endpoint="${endpointHook.url}"]`);
    await card.getByRole('button', { name: 'Send test event' }).click();
    await card.locator('[data-delivery="webhook.test"]').first().waitFor();
    await expect.poll(() => card.locator('[data-delivery="webhook.test"]').first().textContent(), { timeout: 20_000 }).toContain('HTTP 200');
    expect(endpointHook.deliveries.filter((d) => d.payload?.type === 'webhook.test')).toHaveLength(1);
    await card.locator('[data-delivery="webhook.test"]').first().getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => endpointHook.deliveries.filter((d) => d.payload?.type === 'webhook.test').length, { timeout: 20_000 }).toBe(2);
    // Off, from the switch: the API says so.
    await card.getByLabel('Enabled').click({ force: true });
    await expect.poll(async () => (await tp.api(account, 'GET', '/v1/webhook_endpoints')).body.data[0].enabled, { timeout: 10_000 }).toBe(false);
    expect(await accessibilityViolations(page)).toEqual([]);
    await shot(page, 'webhooks');
  });

  it('adds a trunk (the API refusal at its field) and a number on it', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Numbers and trunks' }).click();
    await page.locator('[data-number="+15550100210"]').waitFor();
    await page.getByRole('button', { name: 'Add trunk' }).click();
    const trunkForm = page.getByRole('dialog');
    await trunkForm.getByLabel(/^Name/).fill('Carrier A');
    await trunkForm.getByLabel(/^Host/).fill('sip carrier example');
    await trunkForm.getByRole('button', { name: 'Add trunk' }).click();
    await expect.poll(() => trunkForm.getByLabel(/^Host/).getAttribute('aria-invalid')).toBe('true');
    await trunkForm.getByLabel(/^Host/).fill('sip.carrier.example');
    await trunkForm.getByLabel('Username', { exact: true }).fill('parley');
    await trunkForm.getByLabel('Password', { exact: true }).fill('s3cret-pass');
    await trunkForm.getByRole('button', { name: 'Add trunk' }).click();
    await page.locator('[data-trunk="Carrier A"]').waitFor();
    expect(await page.locator('[data-trunk="Carrier A"]').textContent()).toContain('parley (password set)');
    // Its state as the dialers know it: this stack has no real Asterisk (no ARI_URL, none registered), and the row says
    // so (the list is re-read every 10 s); the sandbox trunk, served by the simulator, is reachable.
    await expect.poll(() => page.locator('[data-trunk="Carrier A"]').textContent(), { timeout: 30_000, interval: 500 }).toContain('no Asterisk carries it');
    await expect.poll(() => page.locator('[data-trunk="sandbox"] [data-trunk-state]').getAttribute('data-trunk-state'), { timeout: 30_000, interval: 500 }).toBe('reachable');
    await page.getByRole('button', { name: 'Add number' }).click();
    const numberForm = page.getByRole('dialog');
    await numberForm.getByLabel(/^Number/).fill('+15550100211');
    await numberForm.getByRole('textbox', { name: 'Trunk' }).or(numberForm.getByRole('combobox', { name: 'Trunk' })).click();
    await page.getByRole('option', { name: 'Carrier A' }).click();
    await numberForm.getByRole('button', { name: 'Add number' }).click();
    await page.locator('[data-number="+15550100211"]').waitFor();
    expect(await page.locator('[data-number="+15550100211"]').textContent()).toContain('Carrier A');
    const trunk = (await tp.api(account, 'GET', '/v1/trunks')).body.data.find((t: { name: string }) => t.name === 'Carrier A');
    expect(trunk).toMatchObject({ host: 'sip.carrier.example', username: 'parley', has_password: true, codecs: ['g722', 'ulaw', 'alaw'] });
    // Checked once the dialog has faded out (its closing frames are not the page).
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await accessibilityViolations(page)).toEqual([]);
    await shot(page, 'numbers');
  });

  it('keeps the do-not-call list: a refused number at its field, one added and removed, a CSV imported row by row', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Do not call' }).click();
    await page.getByRole('heading', { name: 'Do not call' }).waitFor();
    const add = page.getByRole('form', { name: 'Add a number' });
    await add.getByLabel(/^Number/).fill('555 0100');
    await add.getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => add.getByLabel(/^Number/).getAttribute('aria-invalid')).toBe('true');
    await add.getByLabel(/^Number/).fill('+15550100777');
    await add.getByLabel(/^Reason/).fill('asked on the phone');
    await add.getByRole('button', { name: 'Add' }).click();
    await page.locator('[data-dnc="+15550100777"]').waitFor();
    expect(await page.locator('[data-dnc="+15550100777"]').textContent()).toContain('asked on the phone');
    expect((await tp.api(account, 'GET', '/v1/do_not_call/%2B15550100777')).status).toBe(200);

    await page.getByLabel(/^Import a CSV/).fill('number,reason\n+15550100778,complaint\nnot-a-number,x\n+15550100777,again');
    await page.getByRole('button', { name: 'Import' }).click();
    const outcome = page.getByRole('status').filter({ hasText: 'added' });
    await expect.poll(() => outcome.textContent()).toContain('1 added, 1 already listed, 1 refused');
    expect(await outcome.textContent()).toContain('Line 3 (not-a-number)');
    await page.locator('[data-dnc="+15550100778"]').waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await shot(page, 'do-not-call');

    await page.getByRole('button', { name: 'Remove +15550100777' }).click();
    await page.locator('[data-dnc="+15550100777"]').waitFor({ state: 'detached' });
    expect((await tp.api(account, 'GET', '/v1/do_not_call/%2B15550100777')).status).toBe(404);
  });

  it('talks to an agent in the browser (a web call), then opens that call', async () => {
    const agent = await tp.api(account, 'POST', '/v1/agents', { name: 'Front desk', type: 'inbound', initial_greeting: 'Hello, this is the front desk.', instructions: 'Help the caller.' });
    expect(agent.status).toBe(201);
    await page.goto(`${consoleUrl}/agents`);
    await page.locator('[data-agent="Front desk"]').getByRole('button', { name: 'Talk' }).click();
    const modal = page.getByRole('dialog');
    await modal.getByRole('button', { name: 'Start talking' }).click();
    await expect.poll(() => modal.getByTestId('web-call-state').textContent(), { timeout: 20_000 }).toBe('connected');
    await expect.poll(() => modal.locator('[data-role="agent"]').first().textContent(), { timeout: 20_000 }).toContain('Hello, this is the front desk.');
    expect(await accessibilityViolations(page)).toEqual([]);
    await shot(page, 'talk');
    await modal.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => modal.getByTestId('web-call-state').textContent()).toBe('ended');
    await modal.getByRole('link', { name: 'Open the call' }).click();
    await page.waitForURL(/\/console\/calls\/[0-9a-f-]{36}$/);
    const webCallId = page.url().split('/').at(-1)!;
    await page.waitForFunction(() => document.querySelector('[data-testid="call-status"]')?.textContent === 'completed', null, { timeout: 20_000 });
    expect(await page.getByRole('heading', { name: 'Web call' }).count()).toBe(1);
    const call = (await tp.api(account, 'GET', `/v1/calls/${webCallId}`)).body;
    expect(call).toMatchObject({ channel: 'web', agent_id: agent.body.id, status: 'completed', metadata: { source: 'console' } });
    const ended = (await tp.api(account, 'GET', `/v1/calls/${webCallId}/events`)).body.data.find((e: { type: string }) => e.type === 'ended');
    expect(ended.data).toMatchObject({ hangup_by: 'caller', answered: true });
  });

  it('works on a phone-sized screen: the navigation folds into a menu', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(consoleUrl);
    await phone.getByLabel('API key').fill(account.api_key);
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.locator(`[data-call-id="${callId}"]`).waitFor();
    // Folded away: the navigation sits left of the screen until the menu opens it.
    const agentsLink = phone.getByRole('navigation').getByRole('link', { name: 'Agents' });
    expect(await agentsLink.evaluate((el) => el.getBoundingClientRect().right)).toBeLessThanOrEqual(0);
    await phone.getByRole('button', { name: 'Menu' }).click();
    await phone.getByRole('navigation').getByRole('link', { name: 'Agents' }).click();
    await phone.locator('[data-agent="Appointment reminders"]').waitFor();
    // The menu folds away again on its own (for the screenshot: once its slide is over).
    await expect.poll(() => agentsLink.evaluate((el) => el.getBoundingClientRect().right)).toBeLessThanOrEqual(0);
    await shot(phone, 'phone-agents');
    await phone.close();
  });
});
