/**
 * Why an admin operation is refused: the code name the admin API's clients read in its error body
 * (`{"error": {"code", "message"}}`). The HTTP layer gives each code its status.
 */
export type AdminErrorCode =
  | 'team_not_found'
  | 'not_team_owner'
  | 'sso_required'
  | 'scim_already_enabled'
  | 'scim_not_enabled'
  | 'account_in_other_team'
  | 'invalid_request'

export class AdminError extends Error {
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'AdminError'
  }
}
