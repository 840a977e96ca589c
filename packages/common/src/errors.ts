/** The error body every API route answers with: `{"error": {"type", "code", "message", "param"}}`. */
export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'payment_required_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'api_error';

export interface ApiErrorBody {
  error: { type: ApiErrorType; code: string; message: string; param: string | null };
}

export const ERROR_TYPE_BY_STATUS: Record<number, ApiErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'payment_required_error',
  403: 'invalid_request_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  408: 'invalid_request_error',
  409: 'conflict_error',
  413: 'invalid_request_error',
  414: 'invalid_request_error',
  415: 'invalid_request_error',
  416: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
  431: 'invalid_request_error',
  500: 'api_error',
  503: 'api_error',
};

/** Error codes carried by the API and by failed calls (`call.error_code`). */
export const ErrorCodes = {
  // request errors
  invalidRequest: 'invalid_request',
  parameterInvalid: 'parameter_invalid',
  parameterMissing: 'parameter_missing',
  parameterUnknown: 'parameter_unknown',
  parameterNotAllowed: 'parameter_not_allowed_per_call',
  invalidJson: 'invalid_json',
  invalidUrl: 'invalid_url',
  uriTooLong: 'uri_too_long',
  headersTooLarge: 'request_header_fields_too_large',
  requestTimeout: 'request_timeout',
  accessTokenInvalid: 'access_token_invalid',
  accessTokenExpired: 'access_token_expired',
  accessTokenUsed: 'access_token_used',
  webCallUnavailable: 'web_call_unavailable',
  bodyTooLarge: 'body_too_large',
  unauthorized: 'unauthorized',
  /** An admin route (`/v1/admin/...`) on an api without PARLEY_ADMIN_TOKEN. */
  adminApiDisabled: 'admin_api_disabled',
  /** An Asterisk name already registered. */
  asteriskNameTaken: 'asterisk_name_taken',
  notFound: 'resource_not_found',
  /** The call's recording is finished but still being uploaded from the media process to the store: try again shortly. */
  recordingNotReady: 'recording_not_ready',
  /** A `Range` header past the end of the recording (416, with its size in `Content-Range`). */
  rangeNotSatisfiable: 'range_not_satisfiable',
  routeNotFound: 'route_not_found',
  idempotencyConflict: 'idempotency_key_reused',
  callAlreadyEnded: 'call_already_ended',
  numberTaken: 'number_taken',
  resourceInUse: 'resource_in_use',
  sandboxTrunkReadOnly: 'sandbox_trunk_read_only',
  insufficientCredit: 'insufficient_credit',
  /** POST /v1/calls to a number on the account's do-not-call list. */
  doNotCall: 'number_on_do_not_call_list',
  rateLimited: 'rate_limited',
  internal: 'internal_error',
  unavailable: 'service_unavailable',
  /** A command for a live call that no dialer holds yet (between a dialer's death and the adoption of its calls). */
  callOwnerUnavailable: 'call_owner_unavailable',
  // call failure codes
  callRejected: 'call_rejected',
  numberUnallocated: 'number_unallocated',
  noRouteToDestination: 'no_route_to_destination',
  networkOutOfOrder: 'network_out_of_order',
  temporaryFailure: 'temporary_failure',
  switchingEquipmentCongestion: 'congestion',
  noCircuitAvailable: 'no_circuit_available',
  invalidNumberFormat: 'invalid_number_format',
  destinationOutOfOrder: 'destination_out_of_order',
  interworking: 'interworking_error',
  originateFailed: 'originate_failed',
  /** No Asterisk could place the call: none carries the trunk, or every one that does is down (ARI disconnected) or full (its capacity of live calls). */
  noAsteriskAvailable: 'no_asterisk_available',
  /** The Asterisk carrying the call became unreachable (ARI down for ASTERISK_LOST_AFTER_MS, e.g. it crashed): the call was ended, completed if answered (billed to then), else failed. */
  asteriskLost: 'asterisk_lost',
  trunkNotFound: 'trunk_not_found',
  mediaUnavailable: 'media_unavailable',
  dialerLost: 'dialer_lost',
  /** The media process holding a connected call (phone or web) stopped (crashed, killed): the call was ended, billed to then. */
  mediaLost: 'media_lost',
  dispatchTimeout: 'dispatch_timeout',
  maxDurationExceeded: 'max_duration_exceeded',
  unknownHangupCause: 'unknown_hangup_cause',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export function apiErrorBody(status: number, code: string, message: string, param: string | null = null): ApiErrorBody {
  return { error: { type: ERROR_TYPE_BY_STATUS[status] ?? 'api_error', code, message, param } };
}
