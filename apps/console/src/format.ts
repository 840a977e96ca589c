import type { Call } from '@parley/sdk';

export type CallStatus = Call['status'];

export const CALL_STATUSES: CallStatus[] = ['queued', 'initiated', 'ringing', 'in_progress', 'completed', 'no_answer', 'busy', 'canceled', 'failed'];
const LIVE: CallStatus[] = ['queued', 'initiated', 'ringing', 'in_progress'];

export const isLive = (status: CallStatus) => LIVE.includes(status);

export const statusColor: Record<CallStatus, string> = {
  queued: 'gray',
  initiated: 'blue',
  ringing: 'blue',
  in_progress: 'teal',
  completed: 'green',
  no_answer: 'yellow',
  busy: 'yellow',
  canceled: 'gray',
  failed: 'red',
};

export const statusLabel = (status: string) => status.replace(/_/g, ' ');

/** 95 -> "1:35"; null -> "—". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** Milli-cents as dollars and cents: 12_345 -> "$0.12". */
export function money(milliCents: number | null | undefined): string {
  if (milliCents === null || milliCents === undefined) return '—';
  return `$${(milliCents / 100_000).toFixed(milliCents % 1000 === 0 ? 2 : 4)}`;
}

export function dateTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function time(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }) : '—';
}

/** What a call's failure code means, in words an operator acts on (the API's hangup_cause and error_message add detail). */
const FAILURES: Record<string, string> = {
  call_rejected: 'The far end or the carrier rejected the call.',
  number_unallocated: 'The number does not exist (unallocated): check it.',
  no_route_to_destination: 'The carrier has no route to this number.',
  network_out_of_order: "The carrier's network is out of order.",
  temporary_failure: 'A temporary failure in the network: retrying later may work.',
  congestion: 'The network was congested.',
  no_circuit_available: 'No line was free on the carrier.',
  invalid_number_format: 'The number is not in a format the carrier accepts.',
  destination_out_of_order: "The callee's line is out of order.",
  interworking_error: 'A network interworking error.',
  originate_failed: 'Asterisk could not place the call on the trunk (check the trunk and its registration).',
  no_asterisk_available: 'No Asterisk could place the call: none carries the trunk, or every one that does is down or full.',
  asterisk_lost: 'The Asterisk carrying the call became unreachable (crashed or cut off); the call was ended.',
  trunk_not_found: "The call's trunk no longer exists.",
  media_unavailable: 'No media process could take the call (is the media service running?).',
  dialer_lost: 'The dialer holding the call stopped and the call could not be recovered.',
  media_lost: 'The media process holding the call stopped (crashed or killed); the call was ended rather than left silent.',
  dispatch_timeout: 'No dialer took the call in time (is the dialer running and connected to Asterisk?).',
  max_duration_exceeded: "The call reached its agent's maximum duration.",
  web_call_unavailable: 'No media process could take the web call.',
  webrtc_not_connected: "The browser's media connection never came up (firewall or NAT: set WEB_CALL_ICE_SERVERS).",
  unknown_hangup_cause: 'The call ended for a reason the carrier did not name.',
};

/** One sentence on how the call ended, for the header of its page. */
export function outcome(call: Pick<Call, 'status' | 'error_code' | 'error_message' | 'hangup_cause' | 'answered_by'>): string {
  if (call.status === 'busy') return 'The line was busy.';
  if (call.status === 'no_answer') return 'Nobody answered before the ring timeout.';
  if (call.status === 'canceled') return call.hangup_cause ? `Canceled: ${call.hangup_cause}.` : 'Canceled before it was answered.';
  if (call.status === 'failed') {
    const meaning = (call.error_code && FAILURES[call.error_code]) ?? call.error_message ?? 'The call failed.';
    return call.hangup_cause ? `${meaning} (${call.hangup_cause})` : meaning;
  }
  if (call.status === 'completed') return call.answered_by === 'machine' ? 'Answered by voicemail.' : call.hangup_cause ? `Completed: ${call.hangup_cause}.` : 'Completed.';
  return 'The call is live.';
}
