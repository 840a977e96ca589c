import { Q850_CAUSE_TEXT } from '@parley/common';

/** Asterisk's Q.850 cause texts, as ChannelDestroyed.cause_txt carries them (one table, shared with the dialer). */
export const CAUSE_TEXT: Record<number, string> = Q850_CAUSE_TEXT;

export function causeText(cause: number): string {
  return CAUSE_TEXT[cause] ?? 'Unknown';
}

/** SIP final response -> Q.850 cause, as res_pjsip maps it (ast_sip_hangup_sip2cause). */
export function sipToCause(code: number): number {
  switch (code) {
    case 401:
    case 402:
    case 403:
    case 407:
    case 603:
      return 21;
    case 404:
    case 485:
    case 604:
      return 1;
    case 408:
      return 18;
    case 410:
      return 22;
    case 480:
    case 483:
      return 19;
    case 484:
      return 28;
    case 486:
    case 600:
      return 17;
    case 488:
    case 606:
      return 58;
    case 500:
      return 38;
    case 501:
      return 29;
    case 502:
      return 27;
    case 503:
      return 34;
    case 504:
      return 102;
    default:
      return 127;
  }
}

/** The SIP response a far end would send to produce a cause (for tech_cause). */
export const CAUSE_SIP: Record<number, number> = {
  1: 404,
  17: 486,
  18: 408,
  19: 480,
  21: 603,
  22: 410,
  27: 502,
  28: 484,
  34: 503,
  38: 500,
  58: 488,
};

/**
 * The dialstatus of the Dial event that follows a hangup before answer
 * (main/dial.c ast_hangup_cause_to_dial_status): our own DELETE while ringing has no cause, so NOANSWER.
 */
export function dialStatusForCause(cause: number | undefined): string {
  switch (cause) {
    case 17:
      return 'BUSY';
    case 34:
      return 'CONGESTION';
    case 3:
    case 20:
      return 'CHANUNAVAIL';
    default:
      return 'NOANSWER';
  }
}

/** DELETE /channels/{id}?reason=... -> Q.850 cause (res/ari/resource_channels.c). */
export const HANGUP_REASONS: Record<string, number> = {
  normal: 16,
  busy: 17,
  congestion: 34,
  no_answer: 19,
  timeout: 19,
  rejected: 21,
  unallocated: 1,
  normal_unspecified: 31,
  number_incomplete: 28,
  codec_mismatch: 58,
  interworking: 127,
  failure: 38,
  answered_elsewhere: 26,
};
