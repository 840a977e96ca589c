import { Alert, Badge, Button, Checkbox, Group, Modal, NumberInput, Progress, Select, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import type { Campaign, CampaignCreateParams } from '@parley/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { dateTime } from '../format';
import { useAgents } from '../queries';
import { showRefusal } from '../refusal';
import { useSession } from '../session';

type Weekday = NonNullable<NonNullable<NonNullable<CampaignCreateParams['schedule']>['window']>['days']>[number];
/** The API's weekdays (the compiler checks the list against its type, both ways). */
const DAYS: Record<Weekday, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

const STATUS_COLOR: Record<Campaign['status'], string> = { draft: 'gray', scheduled: 'blue', running: 'teal', paused: 'yellow', completed: 'green', canceled: 'gray' };

/** What an operator may do to a campaign in each status. */
const ACTIONS: Record<Campaign['status'], Array<'start' | 'pause' | 'resume' | 'cancel'>> = {
  draft: ['start', 'cancel'],
  scheduled: ['pause', 'cancel'],
  running: ['pause', 'cancel'],
  paused: ['resume', 'cancel'],
  completed: [],
  canceled: [],
};

export function CampaignsPage() {
  const { client } = useSession();
  const agents = useAgents();
  const [creating, setCreating] = useState(false);
  const campaigns = useQuery({
    queryKey: ['campaigns'],
    queryFn: () => client.campaigns.list({ limit: 100 }),
    refetchInterval: (q) => (q.state.data?.data.some((c) => c.status === 'running' || c.status === 'scheduled') ? 2000 : 15_000),
  });
  const agentName = new Map((agents.data ?? []).map((a) => [a.id, a.name]));
  const rows = campaigns.data?.data ?? [];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Campaigns</Title>
        <Button onClick={() => setCreating(true)}>New campaign</Button>
      </Group>
      {campaigns.error && <Alert color="red" role="alert">{campaigns.error.message}</Alert>}
      {campaigns.isSuccess && rows.length === 0 && (
        <Alert color="gray" title="No campaigns yet">A campaign calls a list of numbers under one outbound agent, within calling hours, a few lines at a time, retrying busy and unanswered numbers.</Alert>
      )}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={860}>
          <Table striped aria-label="Campaigns">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Agent</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Progress</Table.Th>
                <Table.Th>ETA</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((c) => <CampaignRow key={c.id} campaign={c} agentName={agentName.get(c.agent_id) ?? c.agent_id.slice(0, 8)} />)}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Modal opened={creating} onClose={() => setCreating(false)} title="New campaign" size="lg">
        {creating && <CampaignForm onDone={() => setCreating(false)} />}
      </Modal>
    </Stack>
  );
}

/** What the finished recipients came to: each outcome, then those out of attempts and those skipped. */
function outcomes(p: Campaign['progress']): string[] {
  return [...Object.entries(p.done).map(([k, v]) => `${k} ${v}`), ...(p.exhausted ? [`out of attempts ${p.exhausted}`] : []), ...(p.skipped ? [`skipped ${p.skipped}`] : [])];
}

function CampaignRow({ campaign: c, agentName }: { campaign: Campaign; agentName: string }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const act = useMutation({
    mutationFn: (action: 'start' | 'pause' | 'resume' | 'cancel') => client.campaigns[action](c.id),
    onSuccess: (updated) => queries.setQueryData(['campaigns'], (old: { data: Campaign[] } | undefined) => old && { ...old, data: old.data.map((x) => (x.id === updated.id ? updated : x)) }),
    onError: (err) => notifications.show({ color: 'red', title: 'Not done', message: err.message }),
  });
  const p = c.progress;
  const done = Object.values(p.done).reduce((a, b) => a + b, 0) + p.exhausted + p.skipped;
  return (
    <Table.Tr data-campaign={c.name}>
      <Table.Td>{c.name}</Table.Td>
      <Table.Td>{agentName}</Table.Td>
      <Table.Td>
        <Badge variant="light" miw={90} color={STATUS_COLOR[c.status]}>{c.status}</Badge>
        {c.paused_reason && <Text size="xs" c="dimmed">{c.paused_reason}</Text>}
      </Table.Td>
      <Table.Td miw={220}>
        <Text size="xs" data-testid="campaign-progress">
          {done} of {p.total} done · {p.in_progress} calling · {p.calls_placed} calls
          {outcomes(p).length > 0 && ` (${outcomes(p).join(', ')})`}
        </Text>
        <Progress value={p.total ? (done / p.total) * 100 : 0} size="sm" mt={4} aria-label={`${done} of ${p.total} recipients done`} />
      </Table.Td>
      <Table.Td>{c.status === 'running' ? dateTime(p.eta) : c.completed_at ? `done ${dateTime(c.completed_at)}` : '—'}</Table.Td>
      <Table.Td>
        <Group gap="xs" justify="end" wrap="nowrap">
          <Link to="/calls" search={{ campaign_id: c.id }}>Calls</Link>
          {ACTIONS[c.status].map((a) => (
            <Button key={a} size="xs" variant={a === 'cancel' ? 'default' : 'light'} color={a === 'cancel' ? 'red' : undefined} onClick={() => act.mutate(a)} loading={act.isPending && act.variables === a}>
              {a[0]!.toUpperCase() + a.slice(1)}
            </Button>
          ))}
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

/** A campaign and its recipients (CSV: a `to` column, other columns go into each call's context), left as a draft. */
function CampaignForm({ onDone }: { onDone(): void }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const agents = useAgents();
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: '', agent_id: '', max_concurrent_calls: 1 as number | string, days: ['mon', 'tue', 'wed', 'thu', 'fri'] as Weekday[], start: '09:00', end: '20:00', max_attempts: 1 as number | string, csv: '' },
  });
  const create = useMutation({
    mutationFn: async (v: typeof form.values) => {
      const campaign = await client.campaigns.create({
        name: v.name,
        agent_id: v.agent_id,
        max_concurrent_calls: Number(v.max_concurrent_calls),
        schedule: { window: { days: v.days, start: v.start, end: v.end } },
        retry: { max_attempts: Number(v.max_attempts) },
      });
      const upload = v.csv.trim() ? await client.campaigns.addRecipients(campaign.id, { csv: v.csv.trim() + '\n' }) : null;
      return { campaign, upload };
    },
    onSuccess: ({ campaign, upload }) => {
      void queries.invalidateQueries({ queryKey: ['campaigns'] });
      notifications.show({ color: 'green', message: `${campaign.name}: a draft${upload ? ` with ${upload.accepted} recipients${upload.rejected_count ? `, ${upload.rejected_count} refused` : ''}` : ''}; start it from the list` });
      onDone();
    },
    onError: showRefusal(form, 'Not created', (param) => (param.startsWith('schedule.window.') ? param.slice('schedule.window.'.length) : param.startsWith('retry.') ? param.slice('retry.'.length) : param.split(/[.[]/)[0]!)),
  });
  const outbound = (agents.data ?? []).filter((a) => a.type === 'outbound');
  return (
    <form onSubmit={form.onSubmit((v) => create.mutate(v))} noValidate>
      <Stack>
        <TextInput label="Name" required {...form.getInputProps('name')} />
        <Select label="Agent" required data={outbound.map((a) => ({ value: a.id, label: a.name }))} {...form.getInputProps('agent_id')} />
        <Checkbox.Group label="Calling days" {...form.getInputProps('days')}>
          <Group mt={4}>{Object.entries(DAYS).map(([value, label]) => <Checkbox key={value} value={value} label={label} />)}</Group>
        </Checkbox.Group>
        <Group grow align="start">
          <TextInput label="From" description="Each recipient's local time" type="time" {...form.getInputProps('start')} />
          <TextInput label="Until" type="time" {...form.getInputProps('end')} />
          <NumberInput label="Lines" description="Calls at once" min={1} max={500} {...form.getInputProps('max_concurrent_calls')} />
          <NumberInput label="Attempts" description="Per number (busy, no answer)" min={1} max={10} {...form.getInputProps('max_attempts')} />
        </Group>
        <Textarea label="Recipients (CSV)" description="A header row with a `to` column (E.164); other columns fill the call's context" placeholder={'to,patient_name\n+15551230001,Maria Lopez'} autosize minRows={4} styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }} {...form.getInputProps('csv')} />
        <Button type="submit" loading={create.isPending}>Create campaign</Button>
      </Stack>
    </form>
  );
}
