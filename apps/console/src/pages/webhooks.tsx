import { Alert, Badge, Button, Card, Checkbox, Code, CopyButton, Group, Modal, NumberInput, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { type WebhookDelivery, type WebhookEndpoint, type WebhookEndpointCreateParams } from '@parley/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { dateTime } from '../format';
import { showRefusal } from '../refusal';
import { useSession } from '../session';

type EventType = WebhookEndpointCreateParams['events'][number];
/** Every event an endpoint can subscribe to (the compiler checks this against the API's list, both ways). */
const EVENT_TYPES: Record<EventType, string> = {
  'call.initiated': 'dialing',
  'call.ringing': 'ringing',
  'call.answered': 'answered',
  'call.ended': 'ended',
  'call.completed': 'completed, with the final call object and result',
  'call.transcript': 'each transcript segment',
  'campaign.started': 'campaign started',
  'campaign.paused': 'campaign paused',
  'campaign.completed': 'campaign completed',
};

export function WebhooksPage() {
  const { client } = useSession();
  const endpoints = useQuery({ queryKey: ['webhook-endpoints'], queryFn: () => client.webhookEndpoints.list({ limit: 100 }) });
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const rows = endpoints.data?.data ?? [];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Webhooks</Title>
        <Button onClick={() => setCreating(true)}>New endpoint</Button>
      </Group>
      <Text size="sm" c="dimmed">
        Endpoints get the events they subscribe to, signed with their own secret (Standard Webhooks). An agent's or a call's <code>webhook_url</code> gets
        <code> call.completed</code>, signed with the account's secret.
      </Text>
      {endpoints.error && <Alert color="red" role="alert">{endpoints.error.message}</Alert>}
      {secret && (
        <Alert color="green" title={`Signing secret of ${secret.url}`} withCloseButton closeButtonLabel="Hide the secret" onClose={() => setSecret(null)}>
          <Stack gap="xs">
            <Text size="sm">Shown this once: keep it where your endpoint verifies signatures.</Text>
            <Group gap="xs">
              <Code data-testid="endpoint-secret">{secret.secret}</Code>
              <CopyButton value={secret.secret}>{({ copied, copy }) => <Button size="xs" variant="default" onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
            </Group>
          </Stack>
        </Alert>
      )}
      {endpoints.isSuccess && rows.length === 0 && (
        <Alert color="gray" title="No endpoints yet">Add one to receive call and campaign events as they happen.</Alert>
      )}
      {rows.map((e) => (
        <Endpoint key={e.id} endpoint={e} onSecret={(s) => setSecret({ url: e.url, secret: s })} />
      ))}
      <Modal opened={creating} onClose={() => setCreating(false)} title="New webhook endpoint">
        {creating && (
          <EndpointForm
            onCreated={(created) => {
              setCreating(false);
              setSecret({ url: created.url, secret: created.secret });
            }}
          />
        )}
      </Modal>
    </Stack>
  );
}

function EndpointForm({ onCreated }: { onCreated(e: { url: string; secret: string }): void }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const form = useForm({ mode: 'controlled', initialValues: { url: '', description: '', events: ['call.completed'] as EventType[] } });
  const create = useMutation({
    mutationFn: (v: typeof form.values) => client.webhookEndpoints.create({ url: v.url.trim(), events: v.events, description: v.description.trim() || null }),
    onSuccess: (created) => {
      void queries.invalidateQueries({ queryKey: ['webhook-endpoints'] });
      onCreated(created);
    },
    onError: showRefusal(form, 'Not created'),
  });
  return (
    <form onSubmit={form.onSubmit((v) => create.mutate(v))} noValidate>
      <Stack>
        <TextInput label="URL" placeholder="https://example.com/parley-events" required {...form.getInputProps('url')} />
        <TextInput label="Description" {...form.getInputProps('description')} />
        <Checkbox.Group label="Events" {...form.getInputProps('events')}>
          <Stack gap={4} mt={4}>
            {Object.entries(EVENT_TYPES).map(([type, what]) => (
              <Checkbox key={type} value={type} label={`${type}: ${what}`} />
            ))}
          </Stack>
        </Checkbox.Group>
        <Button type="submit" loading={create.isPending}>Create endpoint</Button>
      </Stack>
    </form>
  );
}

/** One endpoint: on or off, test, rotate the secret, and its delivery log with redelivery. */
function Endpoint({ endpoint: e, onSecret }: { endpoint: WebhookEndpoint; onSecret(secret: string): void }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const [rotating, setRotating] = useState(false);
  const [overlap, setOverlap] = useState<number | string>(86_400);
  const [status, setStatus] = useState<WebhookDelivery['status'] | null>(null);
  const refresh = () => {
    void queries.invalidateQueries({ queryKey: ['webhook-endpoints'] });
    void queries.invalidateQueries({ queryKey: ['webhook-deliveries', e.id] });
  };
  const failed = (title: string) => (err: Error) => notifications.show({ color: 'red', title, message: err.message });
  const toggle = useMutation({ mutationFn: (enabled: boolean) => client.webhookEndpoints.update(e.id, { enabled }), onSuccess: refresh, onError: failed('Not changed') });
  const test = useMutation({
    mutationFn: () => client.webhookEndpoints.test(e.id),
    onSuccess: (d) => {
      notifications.show({ color: d.status === 'delivered' ? 'green' : 'yellow', message: `Test event ${d.status}${d.last_status_code ? ` (HTTP ${d.last_status_code})` : ''}` });
      refresh();
    },
    onError: failed('Test not sent'),
  });
  const rotate = useMutation({
    mutationFn: () => client.webhookEndpoints.rotateSecret(e.id, { expire_previous_in_seconds: Number(overlap) || 0 }),
    onSuccess: (r) => {
      setRotating(false);
      onSecret(r.secret);
      refresh();
    },
    onError: failed('Secret not rotated'),
  });
  const deliveries = useQuery({
    queryKey: ['webhook-deliveries', e.id, status],
    queryFn: () => client.webhookEndpoints.deliveries(e.id, { limit: 20, ...(status ? { status } : {}) }),
    refetchInterval: (q) => (q.state.data?.data.some((d) => d.status === 'pending') ? 2000 : 15_000),
  });
  return (
    <Card withBorder data-endpoint={e.url}>
      <Stack gap="sm">
        <Group justify="space-between" align="start">
          <Stack gap={2}>
            <Text fw={600} style={{ overflowWrap: 'anywhere' }}>{e.url}</Text>
            {e.description && <Text size="sm" c="dimmed">{e.description}</Text>}
            <Group gap={4}>{e.events.map((t) => <Badge key={t} variant="light" size="sm">{t}</Badge>)}</Group>
            {e.disabled_reason && <Text size="sm" c="red.9">Disabled by Parley: {e.disabled_reason}</Text>}
            {e.previous_secret_expires_at && <Text size="xs" c="dimmed">The previous secret also signs until {dateTime(e.previous_secret_expires_at)}.</Text>}
          </Stack>
          <Group gap="xs">
            <Switch label="Enabled" checked={e.enabled} onChange={(ev) => toggle.mutate(ev.currentTarget.checked)} />
            <Button size="xs" variant="default" onClick={() => test.mutate()} loading={test.isPending}>Send test event</Button>
            <Button size="xs" variant="default" onClick={() => setRotating(true)}>Rotate secret</Button>
          </Group>
        </Group>
        <Group justify="space-between">
          <Title order={3} size="h6">Deliveries</Title>
          <Select aria-label="Delivery status" placeholder="Any status" clearable size="xs" w={150} data={['pending', 'delivered', 'failed']} value={status} onChange={(v) => setStatus(v as WebhookDelivery['status'] | null)} />
        </Group>
        {deliveries.data && deliveries.data.data.length === 0 && <Text size="sm" c="dimmed">None{status ? ` ${status}` : ''} yet.</Text>}
        {deliveries.data && deliveries.data.data.length > 0 && <Deliveries rows={deliveries.data.data} onRetried={refresh} />}
      </Stack>
      <Modal opened={rotating} onClose={() => setRotating(false)} title="Rotate the signing secret">
        <Stack>
          <Text size="sm">A new secret signs from now on. The current one keeps signing beside it for the overlap, so your endpoint can switch without dropping a delivery.</Text>
          <NumberInput label="Overlap (seconds)" min={0} max={7 * 86_400} value={overlap} onChange={setOverlap} />
          <Button onClick={() => rotate.mutate()} loading={rotate.isPending}>Rotate</Button>
        </Stack>
      </Modal>
    </Card>
  );
}

/** Deliveries with every attempt (HTTP status or error, latency), the next retry, and redelivery. */
export function Deliveries({ rows, onRetried, showCall = true }: { rows: WebhookDelivery[]; onRetried(): void; showCall?: boolean }) {
  const { client } = useSession();
  const retry = useMutation({
    mutationFn: (id: string) => client.webhookDeliveries.retry(id),
    onSuccess: (d) => {
      notifications.show({ color: d.status === 'delivered' ? 'green' : 'yellow', message: `Redelivery ${d.status}` });
      onRetried();
    },
    onError: (err) => notifications.show({ color: 'red', title: 'Not redelivered', message: err.message }),
  });
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped aria-label="Deliveries">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Created</Table.Th>
            <Table.Th>Event</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Attempts</Table.Th>
            {showCall ? <Table.Th>Call</Table.Th> : <Table.Th>To</Table.Th>}
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((d) => (
            <Table.Tr key={d.id} data-delivery={d.event_type}>
              <Table.Td>{dateTime(d.created_at)}</Table.Td>
              <Table.Td>{d.event_type}</Table.Td>
              <Table.Td><Badge variant="light" miw={96} color={d.status === "delivered" ? "green" : d.status === "failed" ? "red" : "gray"}>{d.status}</Badge></Table.Td>
              <Table.Td>
                <Stack gap={0}>
                  {d.attempt_log.map((a) => (
                    <Text key={a.attempt} size="xs">
                      #{a.attempt}: {a.status_code ? `HTTP ${a.status_code}` : (a.error ?? 'no answer')} in {a.latency_ms} ms
                    </Text>
                  ))}
                  {d.next_attempt_at && <Text size="xs" c="dimmed">next try {dateTime(d.next_attempt_at)}</Text>}
                </Stack>
              </Table.Td>
              {showCall ? (
                <Table.Td>{d.call_id ? <Link to="/calls/$callId" params={{ callId: d.call_id }}>{d.call_id.slice(0, 8)}</Link> : '—'}</Table.Td>
              ) : (
                <Table.Td style={{ overflowWrap: 'anywhere' }}>{d.endpoint_id ? d.url : `${d.url} (the call's webhook_url)`}</Table.Td>
              )}
              <Table.Td>
                {d.status !== 'pending' && (
                  <Button size="xs" variant="default" onClick={() => retry.mutate(d.id)} loading={retry.isPending && retry.variables === d.id}>Redeliver</Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
