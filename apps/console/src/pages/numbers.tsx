import { Alert, Badge, Button, Checkbox, Group, Modal, NumberInput, PasswordInput, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import type { Trunk, TrunkCreateParams } from '@parley/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useAgents, useNumbers } from '../queries';
import { showRefusal } from '../refusal';
import { useSession } from '../session';

type Codec = NonNullable<TrunkCreateParams['codecs']>[number];
type Transport = NonNullable<TrunkCreateParams['transport']>;
/** The API's codecs and transports (the compiler checks these lists against its types, both ways). */
const CODECS: Record<Codec, string> = { g722: 'G.722 (16 kHz wideband)', ulaw: 'G.711 µ-law', alaw: 'G.711 A-law' };
const TRANSPORTS: Record<Transport, string> = { udp: 'UDP', tcp: 'TCP', tls: 'TLS' };

export function NumbersPage() {
  const { client } = useSession();
  // Re-read while the page is open: a trunk's state moves as the dialers see Asterisk's qualify results.
  const trunks = useQuery({ queryKey: ['trunks'], queryFn: () => client.trunks.list({ limit: 100 }), refetchInterval: 10_000 });
  const numbers = useNumbers();
  const agents = useAgents();
  const [adding, setAdding] = useState<'number' | 'trunk' | null>(null);
  const trunkName = new Map((trunks.data?.data ?? []).map((t) => [t.id, t.name]));
  const agentName = new Map((agents.data ?? []).map((a) => [a.id, a.name]));
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Numbers and trunks</Title>
        <Group gap="xs">
          <Button variant="default" onClick={() => setAdding('trunk')}>Add trunk</Button>
          <Button onClick={() => setAdding('number')}>Add number</Button>
        </Group>
      </Group>
      {(trunks.error ?? numbers.error) && <Alert color="red" role="alert">{(trunks.error ?? numbers.error)!.message}</Alert>}
      <Title order={3} size="h4">Numbers</Title>
      {numbers.isSuccess && numbers.data.length === 0 && (
        <Alert color="gray" title="No numbers yet">Add a number on the sandbox trunk to try calls with no carrier, or on your own trunk.</Alert>
      )}
      {(numbers.data?.length ?? 0) > 0 && (
        <Table.ScrollContainer minWidth={600}>
          <Table striped aria-label="Numbers">
            <Table.Thead>
              <Table.Tr><Table.Th>Number</Table.Th><Table.Th>Label</Table.Th><Table.Th>Trunk</Table.Th><Table.Th>Agents</Table.Th></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {numbers.data!.map((n) => (
                <Table.Tr key={n.id} data-number={n.number}>
                  <Table.Td>{n.number}</Table.Td>
                  <Table.Td>{n.label ?? '—'}</Table.Td>
                  <Table.Td>{trunkName.get(n.trunk_id) ?? n.trunk_id}</Table.Td>
                  <Table.Td>{n.agent_ids.map((id) => agentName.get(id) ?? id).join(', ') || '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Title order={3} size="h4">Trunks</Title>
      {(trunks.data?.data.length ?? 0) > 0 && (
        <Table.ScrollContainer minWidth={760}>
          <Table striped aria-label="Trunks">
            <Table.Thead>
              <Table.Tr><Table.Th>Name</Table.Th><Table.Th>Host</Table.Th><Table.Th>Auth</Table.Th><Table.Th>Codecs</Table.Th><Table.Th>Limits</Table.Th><Table.Th>Registration</Table.Th><Table.Th>State</Table.Th></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {trunks.data!.data.map((t) => <TrunkRow key={t.id} trunk={t} />)}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Modal opened={adding === 'number'} onClose={() => setAdding(null)} title="Add a number">
        {adding === 'number' && <NumberForm trunks={trunks.data?.data ?? []} onDone={() => setAdding(null)} />}
      </Modal>
      <Modal opened={adding === 'trunk'} onClose={() => setAdding(null)} title="Add your SIP trunk" size="lg">
        {adding === 'trunk' && <TrunkForm onDone={() => setAdding(null)} />}
      </Modal>
    </Stack>
  );
}

function TrunkRow({ trunk: t }: { trunk: Trunk }) {
  return (
    <Table.Tr data-trunk={t.name}>
      <Table.Td>{t.name} {t.sandbox && <Badge variant="light" color="gray" size="sm">sandbox</Badge>}</Table.Td>
      <Table.Td>{t.sandbox ? 'the built-in simulator' : `${t.transport}:${t.host}:${t.port}`}</Table.Td>
      <Table.Td>{t.username ? `${t.username}${t.has_password ? ' (password set)' : ''}` : 'by IP'}</Table.Td>
      <Table.Td>{t.codecs.join(', ')}</Table.Td>
      <Table.Td>{t.max_concurrent_calls} lines · {t.calls_per_second} calls/s</Table.Td>
      <Table.Td>{t.register ? <Text size="sm" title="Asterisk's ARI does not report outbound registrations: see `pjsip show registrations` on the Asterisk">registers (state not reported)</Text> : 'no'}</Table.Td>
      <Table.Td><TrunkState status={t.status} /></Table.Td>
    </Table.Tr>
  );
}

const REACHABILITY: Record<Trunk['status']['reachability'], { color: string; label: string }> = {
  reachable: { color: 'green', label: 'reachable' },
  unreachable: { color: 'red', label: 'unreachable' },
  unknown: { color: 'gray', label: 'unknown' },
};

/** What the dialers last saw of the trunk through Asterisk, in words: pushed or not, answering its SIP OPTIONS or not. */
function TrunkState({ status: s }: { status: Trunk['status'] }) {
  const reach = REACHABILITY[s.reachability];
  return (
    <Stack gap={2} data-trunk-state={s.reachability}>
      <Group gap={6}>
        <Badge color={reach.color} variant="light">{reach.label}</Badge>
        {s.roundtrip_ms !== null && <Text size="xs">{s.roundtrip_ms} ms</Text>}
      </Group>
      <Text size="xs" c={s.provisioning === 'failed' || s.provisioning === 'no_asterisk' ? 'red.9' : 'dimmed'}>{provisioningText(s)}</Text>
      {s.reachability === 'unknown' && s.checked_at === null && s.provisioning !== 'no_asterisk' && <Text size="xs" c="dimmed">not checked yet (is the dialer running?)</Text>}
      {s.reachability === 'unknown' && s.endpoint_state === 'offline' && s.asterisk_connected && <Text size="xs" c="dimmed">not qualified yet (Asterisk sends OPTIONS within a minute)</Text>}
      {s.asterisk_connected === false && <Text size="xs" c="red.9">no dialer connected to its Asterisk</Text>}
      {s.checked_at && <Text size="xs" c="dimmed">checked {sinceText(s.checked_at)}</Text>}
      {s.asterisks.length > 1 &&
        s.asterisks.map((a) => (
          <Text key={a.asterisk} size="xs" c={a.asterisk_connected === false || a.provisioning === 'failed' ? 'red.9' : 'dimmed'} data-trunk-asterisk={a.asterisk}>
            {a.asterisk}: {a.asterisk_connected === false ? 'not connected' : a.reachability}
            {a.provisioning === 'failed' ? ', refused' : a.provisioning === 'pending' ? ', not pushed yet' : ''}
          </Text>
        ))}
    </Stack>
  );
}

function provisioningText(s: Trunk['status']): string {
  switch (s.provisioning) {
    case 'built_in': return 'built into the simulator';
    case 'pending': return 'not in Asterisk yet';
    case 'pushed': return 'in Asterisk';
    case 'failed': return `Asterisk refused it: ${s.provisioning_error ?? 'no reason given'}`;
    case 'no_asterisk': return 'no Asterisk carries it (register one, or set ARI_URL): its calls cannot go out';
  }
}

function sinceText(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 60 ? `${seconds} s ago` : seconds < 3600 ? `${Math.round(seconds / 60)} min ago` : new Date(iso).toLocaleString();
}

function NumberForm({ trunks, onDone }: { trunks: Trunk[]; onDone(): void }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const form = useForm({ mode: 'controlled', initialValues: { number: '', label: '', trunk_id: trunks[0]?.id ?? '' } });
  const add = useMutation({
    mutationFn: (v: typeof form.values) => client.numbers.create({ number: v.number.trim(), trunk_id: v.trunk_id, label: v.label.trim() || null }),
    onSuccess: (n) => {
      void queries.invalidateQueries({ queryKey: ['numbers'] });
      notifications.show({ color: 'green', message: `${n.number} added` });
      onDone();
    },
    onError: showRefusal(form, 'Not added'),
  });
  return (
    <form onSubmit={form.onSubmit((v) => add.mutate(v))} noValidate>
      <Stack>
        <TextInput label="Number" description="E.164, e.g. +15551230000" required {...form.getInputProps('number')} />
        <TextInput label="Label" {...form.getInputProps('label')} />
        <Select label="Trunk" data={trunks.map((t) => ({ value: t.id, label: t.name }))} allowDeselect={false} {...form.getInputProps('trunk_id')} />
        <Button type="submit" loading={add.isPending}>Add number</Button>
      </Stack>
    </form>
  );
}

function TrunkForm({ onDone }: { onDone(): void }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: '', host: '', port: 5060 as number | string, transport: 'udp' as Transport, username: '', password: '', from_domain: '', codecs: ['g722', 'ulaw', 'alaw'] as Codec[], max_concurrent_calls: 10 as number | string, calls_per_second: 5 as number | string, register: false },
  });
  const add = useMutation({
    mutationFn: (v: typeof form.values) =>
      client.trunks.create({
        name: v.name,
        host: v.host.trim(),
        port: Number(v.port),
        transport: v.transport,
        username: v.username.trim() || null,
        password: v.password || null,
        from_domain: v.from_domain.trim() || null,
        codecs: v.codecs,
        max_concurrent_calls: Number(v.max_concurrent_calls),
        calls_per_second: Number(v.calls_per_second),
        register: v.register,
      }),
    onSuccess: (t) => {
      void queries.invalidateQueries({ queryKey: ['trunks'] });
      notifications.show({ color: 'green', message: `Trunk ${t.name} added` });
      onDone();
    },
    onError: showRefusal(form, 'Not added'),
  });
  return (
    <form onSubmit={form.onSubmit((v) => add.mutate(v))} noValidate>
      <Stack>
        <TextInput label="Name" required {...form.getInputProps('name')} />
        <Group grow align="start">
          <TextInput label="Host" description="Your carrier's SIP host or IP" required {...form.getInputProps('host')} />
          <NumberInput label="Port" min={1} max={65535} {...form.getInputProps('port')} />
          <Select label="Transport" data={Object.entries(TRANSPORTS).map(([value, label]) => ({ value, label }))} allowDeselect={false} {...form.getInputProps('transport')} />
        </Group>
        <Group grow align="start">
          <TextInput label="Username" description="Empty: the carrier trusts your IP" {...form.getInputProps('username')} />
          <PasswordInput label="Password" description="Stored encrypted, never shown again" {...form.getInputProps('password')} />
        </Group>
        <TextInput label="From domain" description="The domain in the From header, if the carrier wants one" {...form.getInputProps('from_domain')} />
        <Checkbox.Group label="Codecs, best first" {...form.getInputProps('codecs')}>
          <Group mt={4}>{Object.entries(CODECS).map(([value, label]) => <Checkbox key={value} value={value} label={label} />)}</Group>
        </Checkbox.Group>
        <Group grow align="start">
          <NumberInput label="Lines" description="Calls at once" min={1} max={10_000} {...form.getInputProps('max_concurrent_calls')} />
          <NumberInput label="Calls per second" min={0.01} max={1000} decimalScale={2} {...form.getInputProps('calls_per_second')} />
        </Group>
        <Switch label="Register with the carrier (SIP REGISTER with the username and password)" {...form.getInputProps('register', { type: 'checkbox' })} />
        {Boolean(form.values.register) && !form.values.username && <Text size="sm" c="red.9">Registration needs a username and password.</Text>}
        <Button type="submit" loading={add.isPending}>Add trunk</Button>
      </Stack>
    </form>
  );
}
