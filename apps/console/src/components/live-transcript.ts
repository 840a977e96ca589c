import type { TranscriptSegment } from '@parley/sdk';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSession } from '../session';

/**
 * A call's transcript: while the call is live, the API's SSE stream read with fetch (EventSource cannot send the API
 * key), each segment as it is said; once it ended, the stored transcript.
 */
export function useTranscript(callId: string, live: boolean): { segments: TranscriptSegment[]; error: string | null } {
  const { client } = useSession();
  const [streamed, setStreamed] = useState<TranscriptSegment[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const stored = useQuery({ queryKey: ['transcript', callId], queryFn: () => client.calls.transcript(callId), enabled: !live });

  useEffect(() => {
    if (!live) return;
    const stop = new AbortController();
    setStreamed([]);
    void (async () => {
      try {
        for await (const segment of client.calls.streamTranscript(callId, { signal: stop.signal })) {
          setStreamed((prev) => [...(prev ?? []).filter((s) => s.index !== segment.index), segment].sort((a, b) => a.index - b.index));
        }
      } catch (err) {
        if (!stop.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      }
    })();
    return () => stop.abort();
  }, [client, callId, live]);

  const segments = live ? (streamed ?? []) : (stored.data?.segments ?? streamed ?? []);
  return { segments, error: error ?? (stored.error ? stored.error.message : null) };
}
