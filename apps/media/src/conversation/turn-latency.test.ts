import { describe, expect, it } from 'vitest';
import { percentile, turnLatency, turnLatencyRecords } from './turn-latency';

describe('turnLatency', () => {
  const marks = { speechEnd: 1000, endpointDue: 1600, endpoint: 1625, sttFinal: 1700, llmFirstToken: 1750, firstSentence: 1800, ttsFirstAudio: 1850, firstAudioOut: 1860 };

  it('splits a turn into its stages, and counts the VAD lagging the audio as platform latency, not endpointing', () => {
    expect(turnLatency(marks)).toEqual({
      endpointingMs: 600,
      vadLagMs: 25,
      sttMs: 75,
      llmFirstTokenMs: 50,
      llmFirstSentenceMs: 100,
      ttsFirstAudioMs: 50,
      firstAudioOutMs: 860,
      // 25 ms of VAD lag + 10 ms from TTS audio to the first RTP packet.
      addedMs: 35,
    });
  });

  it('lists each turn for the conversation_ended event, its stages adding up to the first audio out', () => {
    const [record] = turnLatencyRecords([turnLatency(marks)!, turnLatency({ ...marks, firstAudioOut: 1900.6 })!]);
    expect(record).toEqual({ endpointing_ms: 600, stt_ms: 75, llm_first_token_ms: 50, llm_first_sentence_ms: 100, tts_first_audio_ms: 50, added_ms: 35, first_audio_out_ms: 860 });
    expect(record!.endpointing_ms + record!.stt_ms + record!.llm_first_sentence_ms + record!.tts_first_audio_ms + record!.added_ms).toBe(record!.first_audio_out_ms);
    expect(turnLatencyRecords(Array.from({ length: 600 }, () => turnLatency(marks)!))).toHaveLength(500);
  });

  it('is undefined for a turn that never got as far as audio out', () => {
    expect(turnLatency({ ...marks, firstAudioOut: undefined })).toBeUndefined();
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 95)).toBe(5);
    expect(percentile([], 95)).toBeNull();
  });
});
