import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useSessionState } from '../session';

/** Sign-in with an API key: checked against the API, kept for this tab only. */
export function SignIn() {
  const { signIn } = useSessionState();
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(key.trim());
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={420} component="main">
        <form onSubmit={submit}>
          <Stack>
            <Title order={1} size="h3">Parley console</Title>
            <Text size="sm" c="dimmed">
              Sign in with an API key (<code>pnpm parley accounts create</code> prints one). It stays in this tab until you close it.
            </Text>
            <PasswordInput label="API key" placeholder="sk_..." value={key} onChange={(e) => setKey(e.currentTarget.value)} required autoFocus />
            {error && (
              <Alert color="red" title="Could not sign in" role="alert">
                {error}
              </Alert>
            )}
            <Button type="submit" loading={busy}>Sign in</Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
