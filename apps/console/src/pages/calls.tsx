import { Alert, Badge, Button, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import type { CallListParams } from '@parley/sdk';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { callsRoute } from '../router';
import { CALL_STATUSES, type CallStatus, dateTime, duration, isLive, money, statusColor, statusLabel } from '../format';
import { useAgents } from '../queries';
import { useSession } from '../session';

/** The calls list's filters, as the URL keeps them (a filtered list can be reloaded, bookmarked and shared). */
export interface CallFilters {
  status?: CallStatus;
  agent_id?: string;
  direction?: 'outbound' | 'inbound';
  number?: string;
  /** Dates (YYYY-MM-DD), in the browser's zone: created on or after `from`, before the end of `until`. */
  from?: string;
  until?: string;
  /** A campaign's calls (from the campaigns page). */
  campaign_id?: string;
  /** The cursor: the page after this call. */
  after?: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseCallFilters(search: Record<string, unknown>): CallFilters {
  const str = (k: string) => (typeof search[k] === 'string' && search[k] !== '' ? (search[k] as string) : undefined);
  const status = str('status');
  const direction = str('direction');
  return {
    status: CALL_STATUSES.includes(status as CallStatus) ? (status as CallStatus) : undefined,
    agent_id: str('agent_id'),
    direction: direction === 'outbound' || direction === 'inbound' ? direction : undefined,
    number: str('number'),
    from: DATE.test(str('from') ?? '') ? str('from') : undefined,
    until: DATE.test(str('until') ?? '') ? str('until') : undefined,
    campaign_id: str('campaign_id'),
    after: str('after'),
  };
}

/** The API query for the filters: a number matches either end of the call. */
export function callListQuery(f: CallFilters, limit = 25): CallListParams {
  const dayAfter = (d: string) => new Date(new Date(`${d}T00:00:00`).getTime() + 86_400_000).toISOString();
  return {
    limit,
    status: f.status,
    agent_id: f.agent_id,
    direction: f.direction,
    ...(f.number ? (f.direction === 'inbound' ? { from_number: f.number } : { to_number: f.number }) : {}),
    created_after: f.from ? new Date(`${f.from}T00:00:00`).toISOString() : undefined,
    created_before: f.until ? dayAfter(f.until) : undefined,
    campaign_id: f.campaign_id,
    starting_after: f.after,
  };
}

export function CallsPage() {
  const { client } = useSession();
  const filters = callsRoute.useSearch();
  const navigate = useNavigate({ from: '/calls' });
  const agents = useAgents();
  const agentName = new Map((agents.data ?? []).map((a) => [a.id, a.name]));
  const calls = useQuery({
    queryKey: ['calls', filters],
    queryFn: () => client.calls.list(callListQuery(filters)),
    placeholderData: keepPreviousData,
    // Live rows move on their own: read the page again every 2 s while one is live, else every 15 s.
    refetchInterval: (q) => (q.state.data?.data.some((c) => isLive(c.status)) ? 2000 : 15_000),
  });
  const set = (patch: Partial<CallFilters>) => void navigate({ search: (prev) => ({ ...prev, ...patch, after: undefined }) });
  const rows = calls.data?.data ?? [];
  const filtered = Object.entries(filters).some(([k, v]) => k !== 'after' && v);

  return (
    <Stack>
      <Title order={2}>Calls</Title>
      <Group align="end" wrap="wrap" gap="sm">
        <Select label="Status" placeholder="Any" clearable data={CALL_STATUSES.map((s) => ({ value: s, label: statusLabel(s) }))} value={filters.status ?? null} onChange={(v) => set({ status: (v as CallStatus) ?? undefined })} w={150} />
        <Select label="Agent" placeholder="Any" clearable searchable data={(agents.data ?? []).map((a) => ({ value: a.id, label: a.name }))} value={filters.agent_id ?? null} onChange={(v) => set({ agent_id: v ?? undefined })} w={200} />
        <Select label="Direction" placeholder="Any" clearable data={['outbound', 'inbound']} value={filters.direction ?? null} onChange={(v) => set({ direction: (v as CallFilters['direction']) ?? undefined })} w={130} />
        <TextInput label="Number" placeholder="+15551234567" defaultValue={filters.number ?? ''} onBlur={(e) => set({ number: e.currentTarget.value.trim() || undefined })} onKeyDown={(e) => e.key === 'Enter' && set({ number: e.currentTarget.value.trim() || undefined })} w={170} />
        <TextInput label="From" type="date" value={filters.from ?? ''} onChange={(e) => set({ from: e.currentTarget.value || undefined })} w={150} />
        <TextInput label="Until" type="date" value={filters.until ?? ''} onChange={(e) => set({ until: e.currentTarget.value || undefined })} w={150} />
        {filters.campaign_id && <Badge variant="light" color="grape" size="lg">one campaign&apos;s calls</Badge>}
        {filtered && <Button variant="subtle" onClick={() => void navigate({ search: {} })}>Clear filters</Button>}
      </Group>
      {calls.error && <Alert color="red" role="alert">{calls.error.message}</Alert>}
      {calls.isSuccess && rows.length === 0 && !filters.after && (
        <Alert color="gray" title={filtered ? 'No call matches these filters' : 'No calls yet'}>
          {filtered ? 'Clear a filter to see more.' : <>Place one from the <Link to="/agents">agents</Link> page ("Test call"), or with <code>POST /v1/calls</code>.</>}
        </Alert>
      )}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={900}>
          <Table highlightOnHover striped aria-label="Calls">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Created</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Direction</Table.Th>
                <Table.Th>Agent</Table.Th>
                <Table.Th>To</Table.Th>
                <Table.Th>From</Table.Th>
                <Table.Th>Duration</Table.Th>
                <Table.Th>Cost</Table.Th>
                <Table.Th>Result</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((c) => (
                <Table.Tr key={c.id} data-call-id={c.id}>
                  <Table.Td>
                    <Link to="/calls/$callId" params={{ callId: c.id }}>{dateTime(c.created_at)}</Link>
                  </Table.Td>
                  <Table.Td><Badge color={statusColor[c.status]} variant="light" miw={96}>{statusLabel(c.status)}</Badge></Table.Td>
                  <Table.Td>{c.channel === 'web' ? 'web' : c.direction}</Table.Td>
                  <Table.Td>{agentName.get(c.agent_id) ?? c.agent_id.slice(0, 8)}</Table.Td>
                  <Table.Td>{c.to_number ?? '—'}</Table.Td>
                  <Table.Td>{c.from_number ?? '—'}</Table.Td>
                  <Table.Td>{duration(c.duration_seconds)}</Table.Td>
                  <Table.Td>{money(c.billing_amount_milli_cents)}</Table.Td>
                  <Table.Td>{c.result_status === 'pending' && !isLive(c.status) ? 'extracting' : c.returns ? c.result_status : '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Group justify="space-between">
        <Text size="sm" c="dimmed">{calls.isFetching ? 'Refreshing…' : rows.length > 0 ? `${rows.length} calls on this page` : ''}</Text>
        <Group gap="xs">
          {filters.after && <Button variant="default" onClick={() => void navigate({ search: (prev) => ({ ...prev, after: undefined }) })}>Newest</Button>}
          {calls.data?.has_more && <Button variant="default" onClick={() => void navigate({ search: (prev) => ({ ...prev, after: rows.at(-1)!.id }) })}>Older calls</Button>}
        </Group>
      </Group>
    </Stack>
  );
}
