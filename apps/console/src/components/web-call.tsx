import { Alert, Badge, Button, Group, Stack, Text } from '@mantine/core';
import { ParleyWebCall, type TranscriptSegment, type WebCallEnded, type WebCallState } from '@parley/web';
import type { Agent } from '@parley/sdk';
import { Link } from '@tanstack/react-router';
import { useEffect, useRef, useState } from 'react';
import { useSession } from '../session';

/**
 * Talks to an agent from this browser: a web call (POST /v1/calls/web with the signed-in key, then @parley/web with
 * its single-use token) through the microphone, with the live transcript; the call is then in the calls list like any.
 */
export function TalkInBrowser({ agent }: { agent: Agent }) {
  const { client } = useSession();
  const call = useRef<ParleyWebCall | null>(null);
  const [state, setState] = useState<WebCallState>('idle');
  const [callId, setCallId] = useState<string | null>(null);
  const [segments, setSegments] = useState<TranscriptSegment[]>([]);
  const [ended, setEnded] = useState<WebCallEnded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [agentSpeaking, setAgentSpeaking] = useState(false);
  const [muted, setMuted] = useState(false);

  // Leaving the page hangs up.
  useEffect(() => () => void call.current?.end(), []);

  const start = async () => {
    setError(null);
    setSegments([]);
    setEnded(null);
    try {
      const created = await client.calls.createWeb({ agent_id: agent.id, metadata: { source: 'console' } });
      setCallId(created.id);
      const web = new ParleyWebCall({ baseUrl: window.location.origin });
      call.current = web;
      web.on('state', setState);
      web.on('transcript', (s) => setSegments((prev) => [...prev.filter((p) => p.index !== s.index), s].sort((a, b) => a.index - b.index)));
      web.on('agent-speaking', setAgentSpeaking);
      web.on('ended', setEnded);
      await web.start({ accessToken: created.access_token, iceServers: created.ice_servers as RTCIceServer[] });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <Stack>
      <Group gap="sm">
        <Badge variant="light" color={state === 'connected' ? 'teal' : state === 'ended' ? 'gray' : 'blue'} data-testid="web-call-state">{state}</Badge>
        {agentSpeaking && <Text size="sm" c="dimmed">the agent is speaking…</Text>}
        {ended && <Text size="sm">Ended ({ended.reason})</Text>}
      </Group>
      {error && <Alert color="red" role="alert" title="Could not talk to the agent">{error}</Alert>}
      <Stack gap={4} data-testid="web-call-transcript" aria-live="polite">
        {segments.map((s) => (
          <Text key={s.index} size="sm" data-role={s.role}>
            <Text span fw={600}>{s.role === 'agent' ? 'Agent' : 'You'}:</Text> {s.text}
          </Text>
        ))}
      </Stack>
      <Group>
        {(state === 'idle' || state === 'ended') && <Button onClick={() => void start()}>{state === 'ended' ? 'Talk again' : 'Start talking'}</Button>}
        {state === 'connecting' && <Button loading>Connecting</Button>}
        {state === 'connected' && (
          <>
            <Button
              variant="default"
              onClick={() => {
                if (muted) call.current?.unmute();
                else call.current?.mute();
                setMuted(!muted);
              }}
            >
              {muted ? 'Unmute' : 'Mute'}
            </Button>
            <Button color="red" onClick={() => void call.current?.end()}>Hang up</Button>
          </>
        )}
        {callId && state === 'ended' && <Link to="/calls/$callId" params={{ callId }}>Open the call</Link>}
      </Group>
      <Text size="xs" c="dimmed">The browser asks for the microphone. It works from this machine (localhost) or over HTTPS.</Text>
    </Stack>
  );
}
