/**
 * Where a conversation is: `idle` until the bridge is up, `opening` until the agent's first words, then `conversing`;
 * `voicemail` while a machine's greeting plays (to leave a message, or to talk once it is over); `ending` while the
 * agent says goodbye or the call is handed over; `ended` once the call is released.
 */
export type Phase = 'idle' | 'opening' | 'conversing' | 'voicemail' | 'ending' | 'ended';
