import { Alert, Group, Stack, Text } from '@mantine/core';
import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from 'react';
import WaveSurfer from 'wavesurfer.js';
import { ParleyError } from '@parley/sdk';
import { useSession } from '../session';

/** How often a recording still being uploaded is asked for again. */
const RETRY_NOT_READY_MS = 2000;

export interface RecordingHandle {
  /** Plays from `seconds` into the recording. */
  seek(seconds: number): void;
}

/**
 * The call's stereo recording (caller left, agent right) as two waveform lanes over the browser's own audio controls.
 * The WAV is fetched with the API key (an <audio src> could not send it) and played from memory.
 */
export const Recording = forwardRef<RecordingHandle, { callId: string }>(function Recording({ callId }, ref) {
  const { client } = useSession();
  const lanes = useRef<HTMLDivElement>(null);
  const audio = useRef<HTMLAudioElement>(null);
  const wave = useRef<WaveSurfer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  useImperativeHandle(ref, () => ({
    seek(seconds: number) {
      const el = audio.current;
      if (!el) return;
      el.currentTime = seconds;
      void el.play().catch(() => undefined);
    },
  }));

  useEffect(() => {
    let cancelled = false;
    // While media is still uploading it to object storage the API answers recording_not_ready: asked again shortly.
    const fetchRecording = async (): Promise<ArrayBuffer> => {
      for (;;) {
        try {
          return await client.calls.recording(callId);
        } catch (err) {
          if (cancelled || !(err instanceof ParleyError) || err.code !== 'recording_not_ready') throw err;
          setPending(true);
          await new Promise((r) => setTimeout(r, RETRY_NOT_READY_MS));
        }
      }
    };
    void fetchRecording()
      .then((bytes) => {
        setPending(false);
        if (cancelled || !lanes.current || !audio.current) return;
        // WaveSurfer draws the two channels and gives the audio element the WAV (a blob: URL it revokes itself).
        const blob = new Blob([bytes], { type: 'audio/wav' });
        wave.current = WaveSurfer.create({
          container: lanes.current,
          media: audio.current,
          height: 48,
          normalize: true,
          splitChannels: [
            { waveColor: '#5c7cfa', progressColor: '#364fc7' },
            { waveColor: '#20c997', progressColor: '#087f5b' },
          ],
        });
        return wave.current.loadBlob(blob);
      })
      .catch((err: Error) => !cancelled && setError(err.message));
    return () => {
      cancelled = true;
      wave.current?.destroy();
      wave.current = null;
    };
  }, [client, callId]);

  if (error) return <Alert color="gray">No recording: {error}</Alert>;
  return (
    <Stack gap={4}>
      {pending && <Text size="sm" c="dimmed">The recording is being uploaded; it plays here once it is stored.</Text>}
      <Group gap="md">
        <Text size="xs" c="indigo.9">▲ caller</Text>
        <Text size="xs" c="teal.9">▼ agent</Text>
      </Group>
      <div ref={lanes} aria-hidden="true" />
      <audio ref={audio} controls preload="auto" style={{ width: '100%' }} aria-label="Call recording" data-testid="recording" />
    </Stack>
  );
});
