import type { CallEventData, TranscriptSegment } from '@parley/common';
import type { z } from 'zod';

type Ended = z.infer<(typeof CallEventData)['ended']>;

/** Why an unanswered call has no result: said plainly, since it lands in the call's `result_error`. */
export function unansweredReason(ended: Ended): string {
  const suffix = 'there was no conversation to extract a result from';
  switch (ended.status) {
    case 'busy':
      return `the line was busy; ${suffix}`;
    case 'no_answer':
      return `the call was not answered; ${suffix}`;
    case 'canceled':
      return `the call was canceled before it was answered; ${suffix}`;
    case 'failed': {
      const detail = [ended.error_code, ended.error_message].filter(Boolean).join(': ');
      return `the call failed before it was answered${detail ? ` (${detail})` : ''}; ${suffix}`;
    }
    default:
      return `the call was not answered; ${suffix}`;
  }
}

/**
 * An answered call with no conversation with a person has no result either: the far end never spoke, or the media
 * service ended it on reaching voicemail (hung up, or left a message) even if the machine's greeting was transcribed.
 * `endReason` is the `conversation_ended` reason (null when only transcript rows are known).
 */
export function missingConversationReason(segments: TranscriptSegment[], answeredBy: string | null, endReason: string | null = null): string | null {
  const suffix = 'there was no conversation to extract a result from';
  if (answeredBy === 'machine' && endReason === 'voicemail_message_left') return `the call reached voicemail and the agent left a message; ${suffix}`;
  if (answeredBy === 'machine' && endReason === 'voicemail') return `the call reached voicemail and the agent hung up; ${suffix}`;
  const userSpoke = segments.some((s) => s.role === 'user' && s.text.trim() !== '');
  if (userSpoke) return null;
  if (answeredBy === 'machine') return `the call reached voicemail and no one spoke with the agent; ${suffix}`;
  return `the call was answered but the other party never spoke; ${suffix}`;
}
