import type { Reply, Script, ScriptContext } from './script';

/**
 * The demo: Dr. Chen's office calls Maria Lopez to confirm tomorrow at 2pm; she asks to move it. The conversation
 * replies follow what the far end says, and the extraction reads the transcript it is given, so a different far end
 * (another time, or a plain "yes") gives a different result.
 */

/** Lines for the simulated far end (the asterisk-sim script of the demo number). */
// Worded so that offline recognisers (pocketsphinx on the simulator's flite voice) hear them right; the extraction reads whatever was heard.
export const APPOINTMENT_REMINDER_CALLEE_LINES = ['Hello, this is Maria.', 'Sorry, I cannot come tomorrow. Please move it to Friday morning.'];

export const APPOINTMENT_REMINDER_AGENT = {
  name: 'Appointment reminder',
  persona: "You are a friendly assistant calling on behalf of Dr. Chen's dental office.",
  instructions:
    "Call {{patient_name}} to confirm the appointment with Dr. Chen {{appointment_time}}. If they want to move it, ask for a preferred day and time, repeat it back, say the office will confirm, and end the call.",
  returns: { confirmed: 'boolean', reschedule_to: 'string' },
  context: { patient_name: 'Maria Lopez', appointment_time: 'tomorrow at 2pm' },
};

// Phrased loosely on purpose: the far end's words reach the model through speech recognition,
// which says "moved" for "move it" or "can not" for "cannot" now and then.
const RESCHEDULE_INTENT = /\b(mov(?:e|ed|es|ing)|reschedul\w*|change|push|(?:can'?t|cannot|can not|won'?t|not able to) (?:make|come|do)|instead)\b/i;
const AFFIRM = /\b(yes|yeah|yep|sure|confirm\w*|that works|works for me|fine|perfect|see you)\b/i;
const END = String.raw`(.+?)(?=[?!,;]|\.(?:\s|$)|$)`;
const RESCHEDULE_TO = [
  new RegExp(String.raw`\b(?:mov(?:e|ed|es)|change|reschedule|push|switch)\s+(?:it|that|the appointment|my appointment)?\s*(?:to|for|until|till)\s+${END}`, 'im'),
  new RegExp(String.raw`\b(?:how about|what about|could we do|can we do|could you do|can you do)\s+${END}`, 'im'),
  /\b((?:mon|tues|wednes|thurs|fri|satur|sun)day\b.*?)(?=[?!,;]|\.(?:\s|$)|$)/im,
];

/** The user turns of an extraction request: `user: ...` lines of the transcript, else the user messages themselves. */
export function userTurnsOf(ctx: ScriptContext): string[] {
  const all = ctx.userTexts.join('\n');
  const lines = [...all.matchAll(/^\s*(?:user|caller|callee|customer)\s*:\s*(.+)$/gim)].map((m) => m[1]!.trim());
  return lines.length > 0 ? lines : ctx.userTexts;
}

/** The time the far end asked for, as they said it, or null. */
export function requestedTime(turns: string[]): string | null {
  for (const turn of turns) {
    if (!RESCHEDULE_INTENT.test(turn) && !/\b(how about|what about|could we do|can we do)\b/i.test(turn)) continue;
    for (const re of RESCHEDULE_TO) {
      const m = re.exec(turn);
      let value = m?.[1]?.trim();
      if (value && /\b[ap]\.m$/i.test(value)) value += '.'; // "10 a.m." lost its last dot to the sentence end
      if (value && !/^(it|that|tomorrow)$/i.test(value)) return value;
    }
  }
  return null;
}

export function extractAppointment(turns: string[]): { confirmed: boolean | null; reschedule_to: string | null } {
  const wantsMove = turns.some((t) => RESCHEDULE_INTENT.test(t));
  const reschedule_to = requestedTime(turns);
  if (wantsMove || reschedule_to) return { confirmed: false, reschedule_to };
  if (turns.some((t) => AFFIRM.test(t))) return { confirmed: true, reschedule_to: null };
  return { confirmed: null, reschedule_to: null };
}

/** The agent already asked about the appointment (a greeting alone does not count). */
const askedAboutAppointment = (ctx: ScriptContext) => ctx.assistantTexts.some((t) => /\b2\s?pm\b/i.test(t));

function withEndCall(ctx: ScriptContext, text: string): Reply {
  return ctx.toolNames.includes('end_call') ? { text, toolCalls: [{ name: 'end_call', arguments: { reason: 'conversation finished' } }] } : { text };
}

export const appointmentReminderScript: Script = {
  name: 'appointment-reminder',
  model: 'parley-sandbox',
  rules: [
    {
      name: 'extract',
      when: { responseFormat: true },
      reply: (ctx) => ({ json: extractAppointment(userTurnsOf(ctx)) }),
    },
    { name: 'after-tool', when: { toolResults: true }, reply: { text: 'Goodbye!' } },
    {
      name: 'reschedule-with-time',
      when: { match: (ctx) => RESCHEDULE_INTENT.test(ctx.lastUserText) && requestedTime([ctx.lastUserText]) !== null },
      reply: (ctx) =>
        withEndCall(ctx, `No problem, Maria. I've noted that you'd like to move your appointment with Dr. Chen to ${requestedTime([ctx.lastUserText])}. The office will confirm the new time. Goodbye!`),
    },
    { name: 'reschedule-ask-time', when: { user: RESCHEDULE_INTENT }, reply: { text: 'Of course. What day and time would suit you better?' } },
    {
      name: 'time-offered',
      when: { turn: { min: 1 }, match: (ctx) => askedAboutAppointment(ctx) && requestedTime([`move it to ${ctx.lastUserText}`]) !== null && /\d|day\b/i.test(ctx.lastUserText) },
      reply: (ctx) => withEndCall(ctx, `Thank you. I've noted ${requestedTime([`move it to ${ctx.lastUserText}`])} for your appointment with Dr. Chen; the office will confirm. Goodbye!`),
    },
    { name: 'confirm', when: { turn: { min: 1 }, user: AFFIRM, match: askedAboutAppointment }, reply: (ctx) => withEndCall(ctx, "Great, you're all set for tomorrow at 2pm with Dr. Chen. See you then. Goodbye!") },
    {
      // The agent's first words (turn 0), or its answer to "hello" after a greeting: ask about the appointment.
      name: 'opening',
      when: { match: (ctx) => !askedAboutAppointment(ctx) },
      reply: { text: "Hi Maria, this is Dr. Chen's office calling to confirm your appointment tomorrow at 2pm. Does that time still work for you?" },
    },
    {
      // The callee only said who they are ("Hello, this is Maria") after the question: ask again, kindly.
      name: 'identified',
      when: { match: askedAboutAppointment, user: /\b(this is|speaking|hello|hi)\b/i },
      reply: { text: 'Thanks, Maria. Does tomorrow at 2pm with Dr. Chen still work for you?' },
    },
  ],
  fallback: (ctx) => (ctx.jsonSchema ? { json: {} } : { text: "Sorry, I didn't catch that. Does tomorrow at 2pm with Dr. Chen still work for you?" }),
};
