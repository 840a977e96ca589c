import { describe, expect, it } from 'vitest';
import { hangupCauseToStatus } from './hangup-cause';

describe('hangupCauseToStatus', () => {
  it('maps causes before answer to busy, no_answer or failed with a specific code', () => {
    const before = (cause: number) => hangupCauseToStatus({ cause, answered: false, hungUpByUs: false });
    expect(before(17)).toMatchObject({ status: 'busy', errorCode: null, hangupCause: 'User busy' });
    expect(before(18).status).toBe('no_answer');
    expect(before(19)).toMatchObject({ status: 'no_answer', hangupCause: 'User alerting, no answer' });
    expect(before(21)).toMatchObject({ status: 'failed', errorCode: 'call_rejected', hangupCause: 'Call Rejected' });
    expect(before(1)).toMatchObject({ status: 'failed', errorCode: 'number_unallocated' });
    expect(before(3).errorCode).toBe('no_route_to_destination');
    expect(before(27).errorCode).toBe('destination_out_of_order');
    expect(before(34).errorCode).toBe('no_circuit_available');
    expect(before(38).errorCode).toBe('network_out_of_order');
    expect(before(41).errorCode).toBe('temporary_failure');
    expect(before(42).errorCode).toBe('congestion');
    expect(before(127).errorCode).toBe('interworking_error');
    expect(before(99)).toMatchObject({ status: 'failed', errorCode: 'unknown_hangup_cause', hangupCause: 'Cause 99' });
  });

  it('completes any answered call, and cancels ours before answer whatever the cause', () => {
    expect(hangupCauseToStatus({ cause: 16, answered: true, hungUpByUs: false }).status).toBe('completed');
    expect(hangupCauseToStatus({ cause: 16, answered: true, hungUpByUs: true }).status).toBe('completed');
    expect(hangupCauseToStatus({ cause: 16, answered: false, hungUpByUs: true }).status).toBe('canceled');
    expect(hangupCauseToStatus({ cause: 19, answered: false, hungUpByUs: false, ringTimedOut: true }).status).toBe('no_answer');
  });

  it("keeps Asterisk's cause text when given", () => {
    expect(hangupCauseToStatus({ cause: 16, causeText: 'Normal Clearing', answered: true, hungUpByUs: false }).hangupCause).toBe('Normal Clearing');
  });
});
