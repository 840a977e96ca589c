import { Alert, Badge, Button, Checkbox, Drawer, Group, Mark, Modal, MultiSelect, NumberInput, PasswordInput, Select, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { renderPrompt } from '@parley/common/dist/prompt';
import { normalizeReturns } from '@parley/common/dist/returns';
import { type Agent, type AgentCreateParams, ParleyError } from '@parley/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { TalkInBrowser } from '../components/web-call';
import { dateTime } from '../format';
import { useAgents, useNumbers } from '../queries';
import { showRefusal } from '../refusal';
import { useSession } from '../session';

export function AgentsPage() {
  const agents = useAgents();
  const numbers = useNumbers();
  const [editing, setEditing] = useState<Agent | 'new' | null>(null);
  const [calling, setCalling] = useState<Agent | null>(null);
  const [talking, setTalking] = useState<Agent | null>(null);
  const numberOf = new Map((numbers.data ?? []).map((n) => [n.id, n.number]));
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Agents</Title>
        <Button onClick={() => setEditing('new')}>New agent</Button>
      </Group>
      {agents.error && <Alert color="red" role="alert">{agents.error.message}</Alert>}
      {agents.isSuccess && agents.data.length === 0 && (
        <Alert color="gray" title="No agents yet">
          An agent is who talks on your calls: its persona, instructions, voice, what to extract. Create one, attach a number (every account has the sandbox trunk's numbers), then place a test call.
        </Alert>
      )}
      {numbers.isSuccess && numbers.data.length === 0 && (
        <Alert color="yellow" title="No numbers yet">
          Add a number on the <Link to="/numbers">numbers</Link> page (on the sandbox trunk it needs no carrier) so an outbound agent can call from it.
        </Alert>
      )}
      {(agents.data?.length ?? 0) > 0 && (
        <Table.ScrollContainer minWidth={700}>
          <Table striped aria-label="Agents">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Numbers</Table.Th>
                <Table.Th>Result fields</Table.Th>
                <Table.Th>Updated</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {agents.data!.map((a) => (
                <Table.Tr key={a.id} data-agent={a.name}>
                  <Table.Td>{a.name}</Table.Td>
                  <Table.Td><Badge variant="light" color={a.type === 'outbound' ? 'indigo' : 'teal'} miw={84}>{a.type}</Badge></Table.Td>
                  <Table.Td>{a.number_ids.map((id) => numberOf.get(id) ?? id).join(', ') || '—'}</Table.Td>
                  <Table.Td>{a.returns ? Object.keys(a.returns).join(', ') : '—'}</Table.Td>
                  <Table.Td>{dateTime(a.updated_at)}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" justify="end" wrap="nowrap">
                      <Button size="xs" variant="default" onClick={() => setEditing(a)}>Edit</Button>
                      <Button size="xs" variant="light" onClick={() => setTalking(a)}>Talk</Button>
                      {a.type === 'outbound' && <Button size="xs" onClick={() => setCalling(a)}>Test call</Button>}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Drawer opened={editing !== null} onClose={() => setEditing(null)} position="right" size="lg" title={editing === 'new' ? 'New agent' : editing ? `Edit ${editing.name}` : ''}>
        {editing !== null && <AgentForm agent={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />}
      </Drawer>
      <Modal opened={talking !== null} onClose={() => setTalking(null)} title={talking ? `Talk to ${talking.name} in the browser` : ''}>
        {talking && <TalkInBrowser agent={talking} />}
      </Modal>
      <Modal opened={calling !== null} onClose={() => setCalling(null)} title={calling ? `Test call with ${calling.name}` : ''}>
        {calling && <TestCall agent={calling} />}
      </Modal>
    </Stack>
  );
}

interface AgentFormValues {
  name: string;
  type: 'outbound' | 'inbound';
  persona: string;
  instructions: string;
  initial_greeting: string;
  returns: string;
  voicemail_action: 'hangup' | 'leave_message' | 'continue';
  voicemail_message: string;
  number_ids: string[];
  primary_number_id: string | null;
  max_duration_seconds: number;
  ring_timeout_seconds: number;
  voice: string;
  language: string;
  webhook_url: string;
  /** Who answers the caller: the model (hosted: the service's, or the agent's own server) or the customer's endpoint. */
  mode: 'hosted' | 'webhook';
  conversation_url: string;
  conversation_timeout_ms: number;
  llm_base_url: string;
  llm_api_key: string;
  llm_model: string;
  sample_context: string;
  /** The built-in end_call tool, on or off; every other tool as JSON. */
  end_call: boolean;
  tools: string;
}

/** The `returns` box: empty, or a JSON object the API would take (its own rules, checked as you type). */
export function returnsError(text: string): string | null {
  if (!text.trim()) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `Not JSON: ${(err as Error).message}`;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'Must be a JSON object, e.g. {"confirmed": "boolean"}';
  try {
    normalizeReturns(value as Record<string, unknown>);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** JSON boxes: the text in a fixed-width font, the label and description as the other fields'. */
const MONO = { input: { fontFamily: 'var(--mantine-font-family-monospace)' } };

const nullIfEmpty = (s: string) => (s.trim() ? s : null);

export function toolsError(text: string): string | null {
  if (!text.trim()) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) && value.every((t) => t && typeof t === 'object' && !Array.isArray(t)) ? null : 'Must be a JSON array of tools, e.g. [{"type": "transfer_call", "destinations": ["+15551230000"]}]';
  } catch (err) {
    return `Not JSON: ${(err as Error).message}`;
  }
}

/** Creates or edits an agent; the API's refusal is shown next to the field it names. */
function AgentForm({ agent, onDone }: { agent: Agent | null; onDone(): void }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const numbers = useNumbers();
  const form = useForm<AgentFormValues>({
    mode: 'controlled',
    initialValues: {
      name: agent?.name ?? '',
      type: agent?.type ?? 'outbound',
      persona: agent?.persona ?? '',
      instructions: agent?.instructions ?? '',
      initial_greeting: agent?.initial_greeting ?? '',
      returns: agent?.returns ? JSON.stringify(agent.returns, null, 2) : '',
      voicemail_action: agent?.voicemail_action ?? 'hangup',
      voicemail_message: agent?.voicemail_message ?? '',
      number_ids: agent?.number_ids ?? [],
      primary_number_id: agent?.primary_number_id ?? null,
      max_duration_seconds: agent?.max_duration_seconds ?? 600,
      ring_timeout_seconds: agent?.ring_timeout_seconds ?? 30,
      voice: agent?.voice ?? '',
      language: agent?.language ?? 'en',
      webhook_url: agent?.webhook_url ?? '',
      mode: agent?.conversation.mode ?? 'hosted',
      conversation_url: agent?.conversation.mode === 'webhook' ? agent.conversation.url : '',
      conversation_timeout_ms: agent?.conversation.mode === 'webhook' ? agent.conversation.timeout_ms : 8000,
      llm_base_url: agent?.llm.base_url ?? '',
      // Write-only: the API answers a mask, and a PATCH that sends the mask back keeps the stored key.
      llm_api_key: agent?.llm.api_key ?? '',
      llm_model: agent?.llm.model ?? '',
      sample_context: '{\n  "name": "Maria"\n}',
      end_call: agent ? agent.tools.some((t) => t.type === 'end_call') : true,
      tools: agent && agent.tools.some((t) => t.type !== 'end_call') ? JSON.stringify(agent.tools.filter((t) => t.type !== 'end_call'), null, 2) : '',
    },
    validateInputOnChange: ['returns', 'tools'],
    validate: { returns: returnsError, tools: toolsError },
  });
  const save = useMutation({
    mutationFn: (v: AgentFormValues) => {
      const body = {
        name: v.name,
        persona: nullIfEmpty(v.persona),
        instructions: nullIfEmpty(v.instructions),
        initial_greeting: nullIfEmpty(v.initial_greeting),
        returns: v.returns.trim() ? (JSON.parse(v.returns) as Record<string, unknown>) : null,
        voicemail_action: v.voicemail_action,
        voicemail_message: nullIfEmpty(v.voicemail_message),
        number_ids: v.number_ids,
        primary_number_id: v.primary_number_id && v.number_ids.includes(v.primary_number_id) ? v.primary_number_id : (v.number_ids[0] ?? null),
        max_duration_seconds: v.max_duration_seconds,
        ring_timeout_seconds: v.ring_timeout_seconds,
        voice: nullIfEmpty(v.voice),
        language: v.language.trim() || 'en',
        webhook_url: nullIfEmpty(v.webhook_url),
        conversation: v.mode === 'webhook' ? { mode: 'webhook' as const, url: v.conversation_url.trim(), timeout_ms: v.conversation_timeout_ms } : { mode: 'hosted' as const },
        llm: {
          ...(agent?.llm.temperature !== undefined ? { temperature: agent.llm.temperature } : {}),
          ...(agent?.llm.max_tokens !== undefined ? { max_tokens: agent.llm.max_tokens } : {}),
          ...(agent?.llm.extraction_model !== undefined ? { extraction_model: agent.llm.extraction_model } : {}),
          ...(v.llm_base_url.trim() ? { base_url: v.llm_base_url.trim(), api_key: v.llm_api_key || null } : {}),
          ...(v.llm_model.trim() ? { model: v.llm_model.trim() } : {}),
        },
        tools: [...(v.end_call ? [{ type: 'end_call' as const }] : []), ...((v.tools.trim() ? JSON.parse(v.tools) : []) as AgentCreateParams['tools'] & object)],
      };
      return agent ? client.agents.update(agent.id, body) : client.agents.create({ ...body, type: v.type } as AgentCreateParams);
    },
    onSuccess: (saved) => {
      void queries.invalidateQueries({ queryKey: ['agents'] });
      notifications.show({ color: 'green', message: `${saved.name} ${agent ? 'saved' : 'created'}` });
      onDone();
    },
    onError: showRefusal(form, 'Not saved', formField),
  });
  let preview: string | null = null;
  try {
    preview = renderPrompt({ persona: nullIfEmpty(form.values.persona), instructions: nullIfEmpty(form.values.instructions), context: JSON.parse(form.values.sample_context || '{}') });
  } catch {
    preview = null;
  }
  const numberOptions = (numbers.data ?? []).map((n) => ({ value: n.id, label: n.number }));
  return (
    <form onSubmit={form.onSubmit((v) => save.mutate(v))} noValidate>
      <Stack>
        <TextInput label="Name" required {...form.getInputProps('name')} />
        <Select label="Type" data={['outbound', 'inbound']} disabled={agent !== null} allowDeselect={false} {...form.getInputProps('type')} />
        <Textarea label="Persona" description="Who the agent is" autosize minRows={2} {...form.getInputProps('persona')} />
        <Textarea label="Instructions" description="What to do on the call; {{placeholders}} are filled from each call's context" autosize minRows={4} {...form.getInputProps('instructions')} />
        <Textarea label="Sample context (for the preview)" autosize minRows={2} styles={MONO} {...form.getInputProps('sample_context')} />
        {preview !== null && (
          <div>
            <Text size="sm" fw={500}>Prompt preview</Text>
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="prompt-preview">
              {highlight(preview)}
            </Text>
          </div>
        )}
        <TextInput label="Greeting" description="Said first when the call is answered; empty: the model opens" {...form.getInputProps('initial_greeting')} />
        <Textarea label="Returns" description='What to extract after the call: short form {"confirmed": "boolean", "when": "datetime?"} or JSON Schema' autosize minRows={3} styles={MONO} {...form.getInputProps('returns')} />
        <Checkbox label="The agent may end the call (end_call)" {...form.getInputProps('end_call', { type: 'checkbox' })} />
        <Textarea label="Other tools" description='JSON array: HTTP tools with JSON-schema parameters, transfer_call, send_dtmf' placeholder='[{"type": "http", "name": "book", "description": "Books a slot", "url": "https://example.com/book", "parameters": {"type": "object", "properties": {"when": {"type": "string"}}}}]' autosize minRows={2} styles={MONO} {...form.getInputProps('tools')} />
        <Group grow align="start">
          <TextInput label="Voice" description="The TTS voice; empty: the service's default" {...form.getInputProps('voice')} />
          <TextInput label="Language" description='e.g. "en", "en-US", "fr"' {...form.getInputProps('language')} />
        </Group>
        <Select
          label="Who answers the caller"
          data={[{ value: 'hosted', label: 'A model (the service\'s, or this agent\'s own server)' }, { value: 'webhook', label: 'Your endpoint, each turn (conversation webhook)' }]}
          allowDeselect={false}
          {...form.getInputProps('mode')}
        />
        {form.values.mode === 'webhook' ? (
          <Group grow align="start">
            <TextInput label="Conversation webhook URL" placeholder="https://example.com/parley-turn" {...form.getInputProps('conversation_url')} />
            <NumberInput label="Its timeout (ms)" min={500} max={30_000} {...form.getInputProps('conversation_timeout_ms')} />
          </Group>
        ) : (
          <Group grow align="start">
            <TextInput label="Model server" description="OpenAI-compatible base URL; empty: the service's" placeholder="http://10.0.0.5:11434/v1" {...form.getInputProps('llm_base_url')} />
            <TextInput label="Model" description="Empty: the server's default" {...form.getInputProps('llm_model')} />
            {form.values.llm_base_url.trim() !== '' && <PasswordInput label="Its API key" description="Write-only; kept unless changed" {...form.getInputProps('llm_api_key')} />}
          </Group>
        )}
        <Group grow>
          <Select label="On voicemail" data={[{ value: 'hangup', label: 'Hang up' }, { value: 'leave_message', label: 'Leave a message' }, { value: 'continue', label: 'Talk anyway' }]} allowDeselect={false} {...form.getInputProps('voicemail_action')} />
          <NumberInput label="Max duration (s)" min={10} max={14_400} {...form.getInputProps('max_duration_seconds')} />
          <NumberInput label="Ring timeout (s)" min={5} max={300} {...form.getInputProps('ring_timeout_seconds')} />
        </Group>
        {form.values.voicemail_action === 'leave_message' && <Textarea label="Voicemail message" autosize {...form.getInputProps('voicemail_message')} />}
        <MultiSelect label="Numbers" description="Numbers this agent calls from (outbound) or answers (inbound)" data={numberOptions} searchable {...form.getInputProps('number_ids')} />
        {form.values.number_ids.length > 1 && <Select label="Primary number" data={numberOptions.filter((o) => form.values.number_ids.includes(o.value))} {...form.getInputProps('primary_number_id')} />}
        <TextInput label="Webhook URL" description="Where each call's result is sent (signed, Standard Webhooks)" placeholder="https://example.com/parley" {...form.getInputProps('webhook_url')} />
        <Group justify="end">
          <Button variant="default" onClick={onDone}>Cancel</Button>
          <Button type="submit" loading={save.isPending}>{agent ? 'Save' : 'Create agent'}</Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The form field an API error's `param` names: "llm.base_url" is the model server box, "tools[2].url" the tools box. */
function formField(param: string): string {
  const nested: Record<string, string> = { 'llm.base_url': 'llm_base_url', 'llm.api_key': 'llm_api_key', 'llm.model': 'llm_model', 'conversation.url': 'conversation_url', 'conversation.timeout_ms': 'conversation_timeout_ms' };
  const first = param.split(/[.[]/)[0]!;
  return nested[param] ?? (first === 'tools' ? 'tools' : first);
}

/** Placeholders the sample context did not fill stay visible, marked. */
function highlight(text: string) {
  return text.split(/(\{\{\s*[A-Za-z_][\w.]*\s*\}\})/g).map((part, i) =>
    i % 2 === 1 ? (
      <Mark key={i} color="yellow" fw={600}>{part}</Mark>
    ) : (
      part
    ),
  );
}

/** Places a call under the agent and opens it. */
function TestCall({ agent }: { agent: Agent }) {
  const { client } = useSession();
  const numbers = useNumbers();
  const navigate = useNavigate();
  const [to, setTo] = useState('');
  const [from, setFrom] = useState<string | null>(null);
  const [context, setContext] = useState('');
  const [error, setError] = useState<{ message: string; param: string | null } | null>(null);
  const place = useMutation({
    mutationFn: async () => {
      let ctx: Record<string, unknown> | undefined;
      try {
        ctx = context.trim() ? (JSON.parse(context) as Record<string, unknown>) : undefined;
      } catch (err) {
        throw new ParleyError(`Not JSON: ${(err as Error).message}`, null, 'invalid_request_error', 'parameter_invalid', 'context');
      }
      return client.calls.create({ agent_id: agent.id, to: to.trim(), ...(from ? { from_number: from } : {}), ...(ctx ? { context: ctx } : {}) });
    },
    onSuccess: (call) => void navigate({ to: '/calls/$callId', params: { callId: call.id } }),
    onError: (err) => setError({ message: err.message, param: err instanceof ParleyError ? err.param : null }),
  });
  const own = (numbers.data ?? []).filter((n) => agent.number_ids.includes(n.id));
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        place.mutate();
      }}
    >
      <Stack>
        <TextInput label="Call" placeholder="+15551234567" required value={to} onChange={(e) => setTo(e.currentTarget.value)} error={error?.param === 'to' ? error.message : undefined} />
        <Select label="From" placeholder="The agent's primary number" clearable data={own.map((n) => n.number)} value={from} onChange={setFrom} error={error?.param === 'from_number' ? error.message : undefined} />
        <Textarea label="Context" description="JSON for the {{placeholders}} of the instructions" placeholder='{"patient_name": "Maria Lopez"}' autosize minRows={2} styles={MONO} value={context} onChange={(e) => setContext(e.currentTarget.value)} error={error?.param?.startsWith('context') ? error.message : undefined} />
        {error && error.param !== 'to' && error.param !== 'from_number' && !error.param?.startsWith('context') && <Alert color="red" role="alert">{error.message}</Alert>}
        <Button type="submit" loading={place.isPending}>Place call</Button>
      </Stack>
    </form>
  );
}
