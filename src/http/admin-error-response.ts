import type { AdminErrorCode } from '../provisioning/admin-error.js'

/** Refusals the HTTP layer makes itself in the admin dialect: credentials, routing, transport, outages. */
export type AdminHttpErrorCode =
  | 'unauthorized'
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

/** Every code an admin API error body can carry. */
export type AdminResponseCode = AdminErrorCode | AdminHttpErrorCode

/** The status each admin error code answers with. */
export const ADMIN_ERROR_STATUS: Readonly<Record<AdminResponseCode, number>> = {
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

export interface AdminErrorBody {
  error: { code: AdminResponseCode; message: string }
}

/** The admin API's error body. */
export function adminErrorBody(code: AdminResponseCode, message: string): AdminErrorBody {
  return { error: { code, message } }
}

/** A refusal of the HTTP layer's own in the admin dialect (a wrong metrics token): no admin operation ran. */
export class AdminHttpError extends Error {
  constructor(
    readonly code: AdminHttpErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'AdminHttpError'
  }
}
