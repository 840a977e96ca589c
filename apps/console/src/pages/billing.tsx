import { Alert, Card, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { dateTime, money } from '../format';
import { useSession } from '../session';

export function BillingPage() {
  const { client } = useSession();
  const balance = useQuery({ queryKey: ['balance'], queryFn: () => client.balance.retrieve(), refetchInterval: 10_000 });
  const ledger = useQuery({ queryKey: ['ledger'], queryFn: () => client.creditLedger.list({ limit: 50 }) });
  const b = balance.data;
  const figure = (label: string, value: string) => (
    <Card withBorder>
      <Text size="xs" c="dimmed">{label}</Text>
      <Text size="xl" fw={600}>{value}</Text>
    </Card>
  );
  return (
    <Stack>
      <Title order={2}>Billing</Title>
      {(balance.error ?? ledger.error) && <Alert color="red" role="alert">{(balance.error ?? ledger.error)!.message}</Alert>}
      {b && (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
          {figure('Balance', b.balance_milli_cents === null ? 'Unlimited' : money(b.balance_milli_cents))}
          {figure('Reserved for live calls', money(b.reserved_milli_cents))}
          {figure('Phone rate', `${money(b.rate_milli_cents_per_minute)} / min`)}
          {figure('Web call rate', `${money(b.web_rate_milli_cents_per_minute)} / min`)}
        </SimpleGrid>
      )}
      <Title order={3} size="h4">Ledger</Title>
      {ledger.data && ledger.data.data.length === 0 && <Text c="dimmed">No credit movements yet.</Text>}
      {ledger.data && ledger.data.data.length > 0 && (
        <Table.ScrollContainer minWidth={600}>
          <Table striped aria-label="Credit ledger">
            <Table.Thead>
              <Table.Tr><Table.Th>When</Table.Th><Table.Th>What</Table.Th><Table.Th>Amount</Table.Th><Table.Th>Balance after</Table.Th><Table.Th>Call</Table.Th></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {ledger.data.data.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{dateTime(e.created_at)}</Table.Td>
                  <Table.Td>{e.type}{e.note ? `: ${e.note}` : ''}</Table.Td>
                  <Table.Td>{money(e.amount_milli_cents)}</Table.Td>
                  <Table.Td>{money(e.balance_after_milli_cents)}</Table.Td>
                  <Table.Td>{e.call_id ? e.call_id.slice(0, 8) : '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
