import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPOINTMENT_REMINDER_AGENT, APPOINTMENT_REMINDER_CALLEE_LINES, appointmentReminderScript, type SandboxLlm, startSandboxLlm } from '@parley/sandbox-llm';
import { type Account, isSettled, sandboxAgent, startTestPlatform, type TestPlatform } from './platform-harness';

// Issue 18: an agent that thinks with its own model server, on an install whose service-wide model is another one.
let tp: TestPlatform;
let account: Account;
let own: SandboxLlm;
beforeAll(async () => {
  own = await startSandboxLlm({ port: 0, script: appointmentReminderScript });
  tp = await startTestPlatform();
  account = await tp.createAccount('Own model clinic');
});
afterAll(async () => {
  await tp?.stop();
  await own?.close();
});

describe("an agent's own model server, end to end", () => {
  it("talks and extracts the result through the agent's server with its key, and the transcript names the model", async () => {
    const { agent } = await sandboxAgent(tp, account, '+15550100031', {
      name: 'Reminders on our model',
      type: 'outbound',
      persona: APPOINTMENT_REMINDER_AGENT.persona,
      instructions: APPOINTMENT_REMINDER_AGENT.instructions,
      returns: APPOINTMENT_REMINDER_AGENT.returns,
      tools: [{ type: 'end_call' }],
      max_duration_seconds: 120,
      llm: { base_url: own.url, api_key: 'sk-clinic-4b7e', model: 'clinic-model', extraction_model: 'clinic-extractor' },
    });
    expect(agent.llm).toEqual({ base_url: own.url, api_key: '********', model: 'clinic-model', extraction_model: 'clinic-extractor' });
    const maria = '+15550142031';
    await tp.scenario(maria, { outcome: 'answer', answer_after_ms: 1000, lines: APPOINTMENT_REMINDER_CALLEE_LINES });
    const created = await tp.api(account, 'POST', '/v1/calls', { agent_id: agent.id, to: maria, context: APPOINTMENT_REMINDER_AGENT.context });
    expect(created.status).toBe(201);
    const call = await tp.waitForCall(account, created.body.id, isSettled, 150_000);
    expect(call).toMatchObject({ status: 'completed', result_status: 'completed' });
    expect(call.result.confirmed).toBe(false);
    expect(call.result.reschedule_to).toMatch(/friday/i);

    const transcript = (await tp.api(account, 'GET', `/v1/calls/${call.id}/transcript`)).body.segments;
    const agentWords = transcript.filter((s: any) => s.role === 'agent');
    expect(agentWords.length).toBeGreaterThanOrEqual(2);
    for (const s of agentWords) expect(s.model).toBe('clinic-model');
    for (const s of transcript.filter((s: any) => s.role === 'user')) expect(s.model).toBeUndefined();

    // Every turn and the extraction went to the agent's server, with its key, the models it named.
    const requests = own.completions();
    expect(requests.every((r) => r.headers.authorization === 'Bearer sk-clinic-4b7e')).toBe(true);
    const [extraction, ...more] = requests.filter((r) => r.body?.response_format);
    expect(more).toHaveLength(0);
    expect(extraction!.body!.model).toBe('clinic-extractor');
    const turns = requests.filter((r) => !r.body?.response_format);
    expect(turns.length).toBeGreaterThanOrEqual(2);
    expect(turns.every((r) => r.body!.model === 'clinic-model' && String(r.messages[0]!.content).includes('Maria Lopez'))).toBe(true);
  });
});
