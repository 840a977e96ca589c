import { Alert, Button, Group, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import type { DoNotCallImport } from '@parley/sdk';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { dateTime } from '../format';
import { showRefusal } from '../refusal';
import { useSession } from '../session';

const PAGE = 50;

/** The account's do-not-call list: calls and campaigns never dial these numbers. */
export function DoNotCallPage() {
  const { client } = useSession();
  const queries = useQueryClient();
  const list = useInfiniteQuery({
    queryKey: ['do-not-call'],
    queryFn: ({ pageParam }) => client.doNotCall.list({ limit: PAGE, ...(pageParam ? { starting_after: pageParam } : {}) }),
    initialPageParam: '',
    getNextPageParam: (page) => (page.has_more ? page.data.at(-1)?.number : undefined),
  });
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  const remove = useMutation({
    mutationFn: (number: string) => client.doNotCall.remove(number),
    onSuccess: (_, number) => {
      void queries.invalidateQueries({ queryKey: ['do-not-call'] });
      notifications.show({ color: 'green', message: `${number} taken off the list` });
    },
    onError: (err: Error) => notifications.show({ color: 'red', title: 'Not removed', message: err.message }),
  });
  return (
    <Stack>
      <Title order={2}>Do not call</Title>
      <Text size="sm" c="dimmed">Calls and campaign calls to these numbers are refused before anything is dialed.</Text>
      <AddForm />
      <ImportForm />
      {list.error && <Alert color="red" role="alert">{list.error.message}</Alert>}
      {list.data && rows.length === 0 && <Alert color="gray" title="The list is empty">Add a number when someone asks not to be called again.</Alert>}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={560}>
          <Table striped aria-label="Do-not-call numbers">
            <Table.Thead>
              <Table.Tr><Table.Th>Number</Table.Th><Table.Th>Reason</Table.Th><Table.Th>Added</Table.Th><Table.Th /></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((e) => (
                <Table.Tr key={e.number} data-dnc={e.number}>
                  <Table.Td>{e.number}</Table.Td>
                  <Table.Td>{e.reason ?? '—'}</Table.Td>
                  <Table.Td>{dateTime(e.created_at)}</Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="default" loading={remove.isPending && remove.variables === e.number} onClick={() => remove.mutate(e.number)} aria-label={`Remove ${e.number}`}>Remove</Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {list.hasNextPage && <Button variant="default" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>More</Button>}
    </Stack>
  );
}

function AddForm() {
  const { client } = useSession();
  const queries = useQueryClient();
  const form = useForm({ mode: 'controlled', initialValues: { number: '', reason: '' } });
  const add = useMutation({
    mutationFn: (v: typeof form.values) => client.doNotCall.add({ number: v.number.trim(), ...(v.reason.trim() ? { reason: v.reason.trim() } : {}) }),
    onSuccess: (e) => {
      void queries.invalidateQueries({ queryKey: ['do-not-call'] });
      notifications.show({ color: 'green', message: `${e.number} is on the list` });
      form.reset();
    },
    onError: showRefusal(form, 'Not added'),
  });
  return (
    <form onSubmit={form.onSubmit((v) => add.mutate(v))} noValidate aria-label="Add a number">
      <Group align="flex-end" wrap="wrap">
        <TextInput label="Number" description="E.164, e.g. +15551230000" required {...form.getInputProps('number')} />
        <TextInput label="Reason" description="for your records" {...form.getInputProps('reason')} />
        <Button type="submit" loading={add.isPending}>Add</Button>
      </Group>
    </form>
  );
}

/** A CSV with a `number` column (and an optional `reason`), pasted; what the import did is shown row by row. */
function ImportForm() {
  const { client } = useSession();
  const queries = useQueryClient();
  const [csv, setCsv] = useState('');
  const [outcome, setOutcome] = useState<DoNotCallImport | null>(null);
  const run = useMutation({
    mutationFn: () => client.doNotCall.importCsv(csv),
    onSuccess: (r) => {
      setOutcome(r);
      void queries.invalidateQueries({ queryKey: ['do-not-call'] });
    },
    onError: (err: Error) => notifications.show({ color: 'red', title: 'Not imported', message: err.message }),
  });
  return (
    <Stack gap="xs">
      <Textarea label="Import a CSV" description='A header row with a "number" column and an optional "reason"' autosize minRows={2} maxRows={8} value={csv} onChange={(e) => setCsv(e.currentTarget.value)} />
      <Group>
        <Button variant="default" disabled={csv.trim() === ''} loading={run.isPending} onClick={() => run.mutate()}>Import</Button>
      </Group>
      {outcome && (
        <Alert color={outcome.rejected.length > 0 ? 'yellow' : 'green'} role="status" title={`${outcome.added} added, ${outcome.already_listed} already listed, ${outcome.rejected.length} refused`}>
          {outcome.rejected.map((r) => (
            <Text key={r.line} size="sm">Line {r.line} ({r.value}): {r.reason}</Text>
          ))}
        </Alert>
      )}
    </Stack>
  );
}
