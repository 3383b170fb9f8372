/** Errors of the internal admin API: `{"error": {"code", "message"}}` with a fitting status (DESIGN.md §2). */
export type AdminErrorCode =
  | 'team_not_found'
  | 'not_team_owner'
  | 'sso_required'
  | 'scim_already_enabled'
  | 'scim_not_enabled'
  | 'invalid_request'
  | 'unauthorized'
  | 'account_in_other_team'
  | 'not_found'
  | 'method_not_allowed'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'request_timeout'
  | 'uri_too_long'
  | 'headers_too_large'
  | 'rate_limited'
  | 'service_unavailable'
  | 'internal_error'

const STATUS: Record<AdminErrorCode, number> = {
  team_not_found: 404,
  not_team_owner: 403,
  sso_required: 409,
  scim_already_enabled: 409,
  scim_not_enabled: 409,
  invalid_request: 400,
  unauthorized: 401,
  account_in_other_team: 409,
  not_found: 404,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  payload_too_large: 413,
  request_timeout: 408,
  uri_too_long: 414,
  headers_too_large: 431,
  rate_limited: 429,
  service_unavailable: 503,
  internal_error: 500,
}

export class AdminError extends Error {
  readonly status: number
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'AdminError'
    this.status = STATUS[code]
  }

  toBody(): { error: { code: AdminErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } }
  }
}
