import { ErrorCodes, type ErrorCode } from './errors';
import type { TerminalCallStatus } from './enums';

/** Q.850 cause texts as Asterisk reports them (`cause_txt`, from main/channel.c). */
export const Q850_CAUSE_TEXT: Record<number, string> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  2: 'No route to specified transmit network',
  3: 'No route to destination',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  20: 'Subscriber absent',
  21: 'Call Rejected',
  22: 'Number changed',
  26: 'Answered elsewhere',
  27: 'Destination out of order',
  28: 'Invalid number format',
  29: 'Facility rejected',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
  41: 'Temporary failure',
  42: 'Switching equipment congestion',
  58: 'Bearer capability not available',
  102: 'Recovery on timer expiry',
  127: 'Interworking, unspecified',
};

const FAILURE_CODES: Record<number, ErrorCode> = {
  1: ErrorCodes.numberUnallocated,
  2: ErrorCodes.noRouteToDestination,
  3: ErrorCodes.noRouteToDestination,
  20: ErrorCodes.destinationOutOfOrder,
  21: ErrorCodes.callRejected,
  22: ErrorCodes.numberUnallocated,
  27: ErrorCodes.destinationOutOfOrder,
  28: ErrorCodes.invalidNumberFormat,
  34: ErrorCodes.noCircuitAvailable,
  38: ErrorCodes.networkOutOfOrder,
  41: ErrorCodes.temporaryFailure,
  42: ErrorCodes.switchingEquipmentCongestion,
  127: ErrorCodes.interworking,
};

export interface HangupOutcome {
  status: TerminalCallStatus;
  errorCode: ErrorCode | null;
  hangupCause: string;
}

/**
 * Maps the Q.850 cause of ChannelDestroyed (never the 32 "explicit soft hangup" flag of ChannelHangupRequest)
 * and what we know of the call to its terminal status.
 */
export function hangupCauseToStatus(input: { cause: number; causeText?: string; answered: boolean; hungUpByUs: boolean; ringTimedOut?: boolean }): HangupOutcome {
  const text = input.causeText || Q850_CAUSE_TEXT[input.cause] || `Cause ${input.cause}`;
  if (input.answered) {
    // Once connected, any clearing is the end of a conversation that happened.
    return { status: 'completed', errorCode: null, hangupCause: text };
  }
  if (input.hungUpByUs) return { status: 'canceled', errorCode: null, hangupCause: text };
  if (input.ringTimedOut) return { status: 'no_answer', errorCode: null, hangupCause: text };
  switch (input.cause) {
    case 17:
      return { status: 'busy', errorCode: null, hangupCause: text };
    case 18:
    case 19:
      return { status: 'no_answer', errorCode: null, hangupCause: text };
    case 16:
    case 31:
      // Cleared before answer without a failure cause: the far end declined to pick up.
      return { status: 'no_answer', errorCode: null, hangupCause: text };
    default:
      return { status: 'failed', errorCode: FAILURE_CODES[input.cause] ?? ErrorCodes.unknownHangupCause, hangupCause: text };
  }
}
