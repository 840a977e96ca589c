import { Alert, Badge, Button, Card, Code, Grid, Group, Progress, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import type { Call, TranscriptSegment } from '@parley/sdk';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useRef } from 'react';
import { useTranscript } from '../components/live-transcript';
import { Recording, type RecordingHandle } from '../components/recording';
import { dateTime, duration, isLive, money, outcome, statusColor, statusLabel, time } from '../format';
import { useAgents } from '../queries';
import { callRoute } from '../router';
import { useSession } from '../session';
import { Deliveries } from './webhooks';

export function CallPage() {
  const { callId } = callRoute.useParams();
  const { client } = useSession();
  const call = useQuery({
    queryKey: ['call', callId],
    queryFn: () => client.calls.retrieve(callId),
    // A live call, and one whose result, webhook or recording is still on its way, is read again every second.
    refetchInterval: (q) => (q.state.data && stillMoving(q.state.data) ? 1000 : false),
  });
  if (call.error) return <Alert color="red" role="alert" title="Could not load the call">{call.error.message}</Alert>;
  if (!call.data) return <Text c="dimmed">Loading…</Text>;
  return <CallView call={call.data} />;
}

/** Whether more is coming for the call: it is live, or its result, webhook or (a minute at most) recording is due. */
function stillMoving(call: Call): boolean {
  if (isLive(call.status) || call.result_status === 'pending' || call.webhook_status === 'pending') return true;
  const recordingDue = call.answered_at !== null && call.recording_url === null && call.ended_at !== null && Date.now() - Date.parse(call.ended_at) < 60_000;
  return recordingDue;
}

function CallView({ call }: { call: Call }) {
  const live = isLive(call.status);
  const recording = useRef<RecordingHandle>(null);
  const agents = useAgents();
  const agent = agents.data?.find((a) => a.id === call.agent_id);
  const { segments, error } = useTranscript(call.id, live);
  const title = call.channel === 'web' ? 'Web call' : call.direction === 'outbound' ? `Call to ${call.to_number}` : `Call from ${call.from_number}`;

  return (
    <Stack>
      <Group justify="space-between" align="start">
        <Stack gap={4}>
          <Text size="sm"><Link to="/calls">Calls</Link> / {call.id}</Text>
          <Group gap="sm">
            <Title order={2}>{title}</Title>
            <Badge size="lg" variant="light" color={statusColor[call.status]} data-testid="call-status">{statusLabel(call.status)}</Badge>
          </Group>
          <Text c={call.status === 'failed' ? 'red.9' : undefined} data-testid="call-outcome">{outcome(call)}</Text>
        </Stack>
        {live && <EndCall callId={call.id} />}
      </Group>
      <Grid>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack>
            <Card withBorder>
              <Title order={3} size="h5" mb="xs">Transcript {live && <Badge color="teal" variant="dot">live</Badge>}</Title>
              {error && <Alert color="red">{error}</Alert>}
              <Transcript segments={segments} onSeek={call.recording_url ? (s) => recording.current?.seek(s.start_ms / 1000) : undefined} />
            </Card>
            {call.recording_url && (
              <Card withBorder>
                <Title order={3} size="h5" mb="xs">Recording</Title>
                <Recording ref={recording} callId={call.id} />
              </Card>
            )}
            <Card withBorder>
              <Title order={3} size="h5" mb="xs">Webhook deliveries</Title>
              <CallDeliveries call={call} />
            </Card>
            <Card withBorder>
              <Title order={3} size="h5" mb="xs">Timeline</Title>
              <Timeline call={call} live={live} />
            </Card>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack>
            <Card withBorder>
              <Title order={3} size="h5" mb="xs">Result</Title>
              <ResultView call={call} />
            </Card>
            <Card withBorder>
              <Title order={3} size="h5" mb="xs">Details</Title>
              <Facts
                rows={[
                  ['Agent', agent ? agent.name : call.agent_id],
                  ['Direction', call.channel === 'web' ? 'web (inbound)' : call.direction],
                  ['To', call.to_number ?? '—'],
                  ['From', call.from_number ?? '—'],
                  ['Created', dateTime(call.created_at)],
                  ['Answered', dateTime(call.answered_at)],
                  ['Ended', dateTime(call.ended_at)],
                  ['Answered by', call.answered_by ?? '—'],
                  ['Duration', duration(call.duration_seconds)],
                  ['Billed', `${duration(call.billed_duration_seconds)} · ${money(call.billing_amount_milli_cents)}`],
                  ['Reservation', call.reservation_status ?? '—'],
                  ['Hang-up cause', call.hangup_cause ?? '—'],
                  ['Error', call.error_code ? `${call.error_code}${call.error_message ? `: ${call.error_message}` : ''}` : '—'],
                  ['Webhook', call.webhook_url ? `${call.webhook_status ?? 'pending'}${call.webhook_error ? ` (${call.webhook_error})` : ''}` : 'none for this call'],
                ]}
              />
            </Card>
            {call.latency && call.latency.turns > 0 && (
              <Card withBorder>
                <Title order={3} size="h5" mb="xs">Latency ({call.latency.turns} turns)</Title>
                <Latency call={call} />
              </Card>
            )}
            <Card withBorder>
              <Title order={3} size="h5" mb="xs">Prompt and context</Title>
              <Code block style={{ whiteSpace: 'pre-wrap', maxHeight: 240, overflow: 'auto' }}>{call.prompt}</Code>
              <Code block mt="xs">{JSON.stringify(call.context, null, 2)}</Code>
              {Object.keys(call.metadata).length > 0 && <Code block mt="xs">{JSON.stringify({ metadata: call.metadata }, null, 2)}</Code>}
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}

/** What was sent about the call: its webhook_url's delivery and every endpoint's, each attempt, and redelivery. */
function CallDeliveries({ call }: { call: Call }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const deliveries = useQuery({
    // Read again whenever the call's status or webhook status moves: the last poll may have come just before the
    // delivery was written, and polling stops once the call says its webhook is delivered.
    queryKey: ['call-deliveries', call.id, call.status, call.webhook_status],
    queryFn: () => client.calls.webhookDeliveries(call.id, { limit: 50 }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (isLive(call.status) || call.webhook_status === 'pending' || q.state.data?.data.some((d) => d.status === 'pending') ? 2000 : false),
  });
  if (deliveries.error) return <Alert color="red">{deliveries.error.message}</Alert>;
  const rows = deliveries.data?.data ?? [];
  if (rows.length === 0) return <Text size="sm" c="dimmed">{call.webhook_url ? 'Nothing sent yet.' : 'No webhook for this call, and no endpoint took its events.'}</Text>;
  return <Deliveries showCall={false} rows={rows} onRetried={() => void queries.invalidateQueries({ queryKey: ['call-deliveries', call.id] })} />;
}

function EndCall({ callId }: { callId: string }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const end = useMutation({
    mutationFn: () => client.calls.end(callId),
    onSuccess: (call) => queries.setQueryData(['call', callId], call),
    onError: (err) => notifications.show({ color: 'red', title: 'Could not end the call', message: err.message }),
  });
  return <Button color="red" onClick={() => end.mutate()} loading={end.isPending}>End call</Button>;
}

function Transcript({ segments, onSeek }: { segments: TranscriptSegment[]; onSeek?: (s: TranscriptSegment) => void }) {
  if (segments.length === 0) return <Text c="dimmed" size="sm">Nothing said yet.</Text>;
  return (
    <Stack gap={6} data-testid="transcript" aria-live="polite">
      {segments.map((s) => (
        <Group key={s.index} gap="xs" wrap="nowrap" align="start" data-role={s.role}>
          <Badge variant="light" color={s.role === 'agent' ? 'teal' : 'indigo'} miw={72} style={{ flexShrink: 0 }}>{s.role === 'agent' ? 'agent' : 'caller'}</Badge>
          <Text
            size="sm"
            component={onSeek ? 'button' : 'p'}
            onClick={onSeek ? () => onSeek(s) : undefined}
            style={onSeek ? { all: 'unset', cursor: 'pointer', fontSize: 'var(--mantine-font-size-sm)' } : undefined}
            title={onSeek ? `Play from ${(s.start_ms / 1000).toFixed(1)} s` : undefined}
          >
            {s.text}
            {s.interrupted && <Text span c="orange.9" size="xs"> (interrupted)</Text>}
          </Text>
        </Group>
      ))}
    </Stack>
  );
}

function ResultView({ call }: { call: Call }) {
  if (!call.returns) return <Text size="sm" c="dimmed">This agent extracts no result (no <code>returns</code>).</Text>;
  return (
    <Stack gap="xs">
      <Group gap="xs">
        <Text size="sm">Status:</Text>
        <Badge variant="light" color={call.result_status === "completed" ? "green" : call.result_status === "failed" ? "red" : "gray"} data-testid="result-status">{call.result_status}</Badge>
      </Group>
      {call.result_error && <Text size="sm" c="red.9">{call.result_error}</Text>}
      <Table withTableBorder aria-label="Result">
        <Table.Thead>
          <Table.Tr><Table.Th>Field</Table.Th><Table.Th>Expected</Table.Th><Table.Th>Value</Table.Th></Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {Object.entries(call.returns).map(([field, type]) => (
            <Table.Tr key={field}>
              <Table.Td><code>{field}</code></Table.Td>
              <Table.Td><Text size="xs" c="dimmed">{typeof type === 'string' ? type : JSON.stringify(type)}</Text></Table.Td>
              <Table.Td data-field={field}>{call.result ? JSON.stringify(call.result[field] ?? null) : '—'}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

function Facts({ rows }: { rows: Array<[string, string]> }) {
  return (
    <Table variant="vertical" withTableBorder layout="fixed">
      <Table.Tbody>
        {rows.map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Th w={130}>{k}</Table.Th>
            <Table.Td style={{ overflowWrap: 'anywhere' }}>{v}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** One turn's stages as the conversation_ended event lists them (ms). */
interface TurnStages {
  endpointing_ms: number;
  stt_ms: number;
  llm_first_sentence_ms: number;
  tts_first_audio_ms: number;
  added_ms: number;
  first_audio_out_ms: number;
}

/** The stages of a turn, in the order they happen, from the end of the caller's speech to the agent's first packet. */
const STAGES = [
  { key: 'endpointing_ms', label: 'endpointing', color: 'gray.5' },
  { key: 'stt_ms', label: 'STT', color: 'indigo' },
  { key: 'llm_first_sentence_ms', label: 'LLM to first sentence', color: 'grape' },
  { key: 'tts_first_audio_ms', label: 'TTS first audio', color: 'teal' },
  { key: 'added_ms', label: 'platform', color: 'orange' },
] as const;

/**
 * Per-turn latency as stacked bars (one per turn, every stage, on one scale), with the call's p50 and p95 from its
 * summary. The turns come from the timeline's conversation_ended event, once the call has ended.
 */
function Latency({ call }: { call: Call }) {
  const { client } = useSession();
  const events = useQuery({ queryKey: ['call-events', call.id], queryFn: () => client.calls.events(call.id) });
  const latency = call.latency!;
  const ended = events.data?.data.find((e) => e.type === 'conversation_ended');
  const turns = (Array.isArray(ended?.data.turns) ? ended.data.turns : []) as TurnStages[];
  const scale = Math.max(1, ...turns.map((t) => t.first_audio_out_ms));
  const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);
  return (
    <Stack gap="xs" data-testid="latency">
      <Text size="sm">
        End of the caller&apos;s speech to the agent&apos;s first audio: p50 {ms(latency.first_audio_out_ms.p50_ms)}, p95 {ms(latency.first_audio_out_ms.p95_ms)} (STT p50 {ms(latency.stt_ms.p50_ms)}, LLM first token p50 {ms(latency.llm_first_token_ms.p50_ms)}, TTS p50 {ms(latency.tts_first_audio_ms.p50_ms)})
      </Text>
      {turns.map((t, i) => (
        <div key={i} data-turn={i + 1}>
          <Text size="xs" mb={2}>Turn {i + 1}: {t.first_audio_out_ms} ms</Text>
          <Progress.Root size={16} style={{ width: `${(t.first_audio_out_ms / scale) * 100}%` }}>
            {STAGES.map((st) => (
              <Tooltip key={st.key} label={`${st.label}: ${Math.max(0, t[st.key])} ms`}>
                <Progress.Section value={(Math.max(0, t[st.key]) / Math.max(1, t.first_audio_out_ms)) * 100} color={st.color} aria-label={`${st.label}: ${Math.max(0, t[st.key])} ms`} />
              </Tooltip>
            ))}
          </Progress.Root>
        </div>
      ))}
      {turns.length > 0 && (
        <Group gap="md">
          {STAGES.map((st) => (
            <Text key={st.key} size="xs"><Text span c={st.color === 'gray.5' ? 'gray.7' : `${st.color}.8`}>■</Text> {st.label}</Text>
          ))}
        </Group>
      )}
    </Stack>
  );
}

/** Every recorded event of the call, after its creation (the call's own created_at: it starts queued). */
function Timeline({ call, live }: { call: Call; live: boolean }) {
  const { client } = useSession();
  const events = useQuery({ queryKey: ['call-events', call.id], queryFn: () => client.calls.events(call.id), refetchInterval: live ? 1000 : 5000 });
  if (events.error) return <Alert color="red">{events.error.message}</Alert>;
  const created = { id: 'created', type: 'created', at: call.created_at, data: { status: 'queued', ...(call.campaign_id ? { campaign_id: call.campaign_id } : {}) } };
  const rows = [created, ...(events.data?.data ?? [])];
  return (
    <Table.ScrollContainer minWidth={420}>
      <Table aria-label="Timeline" data-testid="timeline">
        <Table.Tbody>
          {rows.map((e) => (
            <Table.Tr key={e.id} data-event={e.type}>
              <Table.Td w={80}><Text size="xs" ff="monospace">{time(e.at)}</Text></Table.Td>
              <Table.Td w={190}><Badge variant="outline" size="sm" maw="none">{e.type.replace(/_/g, ' ')}</Badge></Table.Td>
              <Table.Td><Text size="xs" style={{ overflowWrap: 'anywhere' }}>{summary(e.data)}</Text></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** An event's data in one line: its fields that say something (nulls and empty values left out, long values shortened). */
function summary(data: Record<string, unknown>): string {
  return Object.entries(data)
    .filter(([, v]) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}: ${brief(v)}`)
    .join(' · ');
}

function brief(v: unknown): string {
  if (typeof v === 'string') return v.length > 160 ? `${v.slice(0, 160)}…` : v;
  if (Array.isArray(v)) return `${v.length} item${v.length === 1 ? '' : 's'}`;
  const json = JSON.stringify(v);
  return json.length > 120 ? `${json.slice(0, 120)}…` : json;
}
