import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';

const lineObjectSchema = z
  .strictObject({
    /** Spoken with espeak-ng. */
    text: z.string().min(1).optional(),
    /** Path of a WAV file to play instead of synthesizing. */
    wav: z.string().min(1).optional(),
    /** Wait this long after the agent's turn ended (or, for barge_in, after the agent started talking). */
    after_ms: z.number().int().min(0).optional(),
    /** Speak while the agent is still talking, to test barge-in. */
    barge_in: z.boolean().optional(),
  })
  .refine((line) => Boolean(line.text) !== Boolean(line.wav), { message: 'a line needs exactly one of text or wav' });

/** A line is text to synthesize, a path ending in .wav, or an object. */
export const lineSchema = z.union([z.string().min(1), lineObjectSchema]);

const dtmfSchema = z.union([
  z.string().regex(/^[0-9A-D*#]+$/),
  z.strictObject({
    digits: z.string().regex(/^[0-9A-D*#]+$/),
    /** After answer; default 1000. */
    after_ms: z.number().int().min(0).default(1000),
    duration_ms: z.number().int().min(40).max(2000).default(100),
  }),
]);

export const scenarioSchema = z.strictObject({
  outcome: z.enum(['answer', 'busy', 'no_answer', 'reject', 'voicemail', 'unallocated', 'congestion', 'failure']).default('answer'),
  /** Q.850 cause for outcome "failure" (e.g. 3, 27, 38, 41, 42, 127). */
  cause: z.number().int().min(1).max(127).optional(),
  /** SIP response code reported as tech_cause for outcome "failure". */
  sip_code: z.number().int().min(400).max(699).optional(),
  /** 180 Ringing after this long; null = no ringing. Default 100 ms for answer/no_answer/voicemail, none for failures. */
  ring_after_ms: z.number().int().min(0).nullable().optional(),
  /** The far end's final answer (200 OK, or the failure response) after this long. */
  answer_after_ms: z.number().int().min(0).default(1000),
  lines: z.array(lineSchema).readonly().default([]),
  /** Speak the first line as soon as the call is bridged, without waiting for the agent. */
  speak_first: z.boolean().default(false),
  /** The far end hangs up (BYE) this long after answer. */
  hangup_after_ms: z.number().int().positive().nullable().default(null),
  /** Far-end codec: g722 is wideband (16 kHz), ulaw is band-limited to the 8 kHz telephone band. */
  codec: z.enum(['g722', 'ulaw']).default('g722'),
  voicemail_greeting: z.string().min(1).default("Hi, you've reached Maria. I can't take your call right now. Please leave a message after the tone."),
  /** Digits the far end presses after answer (ChannelDtmfReceived on its channel). */
  dtmf: dtmfSchema.optional(),
  /** Silence after the agent's speech that ends the agent's turn; default 700 ms. */
  turn_silence_ms: z.number().int().min(100).max(5000).default(700),
  /**
   * Send RTP silence between lines (a phone with continuous RTP). Default false: like the traced
   * far ends, nothing is sent while the far end is quiet, and a two-party bridge relays nothing.
   */
  send_silence: z.boolean().default(false),
  /**
   * The far end's voice, `engine:voice`: `flite:rms` (default; a natural voice that speech recognisers follow well),
   * `flite:slt`, `flite:awb`, `espeak:en-us`, or any espeak-ng voice such as `espeak:es`.
   */
  voice: z
    .string()
    .regex(/^(flite|espeak):[A-Za-z0-9_+-]+$/, 'must be engine:voice, e.g. flite:rms or espeak:en-us')
    .optional(),
  /** The scenario of the number's next dials: this one is used once (a line busy on the first try, answered on the retry). */
  then: z.record(z.string(), z.unknown()).optional(),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioLine = z.output<typeof lineSchema>;

export interface NormalizedLine {
  text?: string;
  wav?: string;
  afterMs: number;
  bargeIn: boolean;
}

export function normalizeLine(line: ScenarioLine): NormalizedLine {
  if (typeof line === 'string') {
    return /\.wav$/i.test(line) ? { wav: line, afterMs: 0, bargeIn: false } : { text: line, afterMs: 0, bargeIn: false };
  }
  return { text: line.text, wav: line.wav, afterMs: line.after_ms ?? 0, bargeIn: line.barge_in ?? false };
}

/** Numbers without a scenario: answer after 1 s, say "Hello?" once bridged, then stay quiet. */
export const DEFAULT_SCENARIO: Scenario = scenarioSchema.parse({ outcome: 'answer', answer_after_ms: 1000, lines: ['Hello?'], speak_first: true });

/**
 * Magic numbers for the sandbox trunk (any country prefix is fine: only the digits count).
 * The last three digits name the SIP response the far end gives.
 */
export const MAGIC_NUMBERS: Record<string, ScenarioInput> = {
  '15550100486': { outcome: 'busy', answer_after_ms: 500 },
  '15550100480': { outcome: 'no_answer' },
  '15550100603': { outcome: 'reject', answer_after_ms: 500 },
  '15550100404': { outcome: 'unallocated', answer_after_ms: 200 },
  '15550100503': { outcome: 'congestion', answer_after_ms: 200 },
  '15550100500': { outcome: 'failure', cause: 38, sip_code: 500, answer_after_ms: 200 },
  '15550100999': { outcome: 'voicemail', answer_after_ms: 1500 },
  '15550100200': {
    outcome: 'answer',
    answer_after_ms: 1000,
    speak_first: true,
    lines: ['Hello, this is Maria speaking.', 'Yes, that works for me.', 'Thank you, goodbye.'],
  },
};

export function numberKey(e164: string): string {
  return e164.replace(/[^0-9]/g, '');
}

export class ScenarioError extends Error {
  constructor(
    message: string,
    readonly issues: unknown,
  ) {
    super(message);
  }
}

export function parseScenario(input: unknown): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) {
    throw new ScenarioError(
      `invalid scenario: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      result.error.issues,
    );
  }
  if (result.data.outcome === 'failure' && result.data.cause === undefined) {
    throw new ScenarioError('invalid scenario: outcome "failure" needs a cause', [{ path: ['cause'], message: 'required for outcome failure' }]);
  }
  if (result.data.then) {
    try {
      parseScenario(result.data.then);
    } catch (err) {
      if (err instanceof ScenarioError) throw new ScenarioError(err.message.replace('invalid scenario: ', 'invalid scenario: then: '), [{ path: ['then'], message: err.message }]);
      throw err;
    }
  }
  return result.data;
}

/** Far-end scripts keyed by dialed number: explicit scenarios, then magic numbers, then the default. */
export class ScenarioStore {
  private readonly scenarios = new Map<string, { number: string; scenario: Scenario }>();

  set(number: string, input: unknown): Scenario {
    const scenario = parseScenario(input);
    this.scenarios.set(numberKey(number), { number, scenario });
    return scenario;
  }

  get(number: string): Scenario | undefined {
    return this.scenarios.get(numberKey(number))?.scenario;
  }

  delete(number: string): boolean {
    return this.scenarios.delete(numberKey(number));
  }

  list(): Array<{ number: string; scenario: Scenario }> {
    return [...this.scenarios.values()];
  }

  clear(): void {
    this.scenarios.clear();
  }

  /** What the far end at this number does on this dial; a scenario with `then` gives way to it for the next dials. */
  dial(number: string): Scenario {
    const key = numberKey(number);
    const explicit = this.scenarios.get(key);
    if (!explicit) return this.resolve(number);
    if (explicit.scenario.then) this.scenarios.set(key, { number: explicit.number, scenario: parseScenario(explicit.scenario.then) });
    return explicit.scenario;
  }

  /** What the far end at this number does. */
  resolve(number: string): Scenario {
    const key = numberKey(number);
    const explicit = this.scenarios.get(key);
    if (explicit) return explicit.scenario;
    const magic = MAGIC_NUMBERS[key];
    return magic ? parseScenario(magic) : DEFAULT_SCENARIO;
  }

  /** Loads `<number>.json` files (e.g. `+15551234567.json`). */
  async loadDirectory(dir: string): Promise<number> {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    for (const file of files) {
      const raw = JSON.parse(await readFile(join(dir, file), 'utf8')) as unknown;
      try {
        this.set(basename(file, '.json'), raw);
      } catch (error) {
        throw new Error(`${join(dir, file)}: ${(error as Error).message}`);
      }
    }
    return files.length;
  }
}
