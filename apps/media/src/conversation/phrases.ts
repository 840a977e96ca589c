/** What the agent says on its own, outside the model's words. */
export const PHRASES = {
  llmFallback: "I'm sorry, I'm having trouble right now. Could you say that again?",
  toolFiller: 'One moment, please.',
  llmFiller: 'Let me think.',
  reprompt: 'Are you still there?',
  silenceGoodbye: "I haven't heard anything, so I'll end the call now. Goodbye.",
  maxDurationGoodbye: "I'm sorry, we've reached the time limit for this call. Goodbye.",
  goodbye: 'Goodbye.',
  voicemailDefault: 'Hello, this is an automated call. Please call us back at your convenience. Goodbye.',
} as const;
