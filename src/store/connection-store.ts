import type { ConnectionWithUsers, ListQuery, ScimConnection } from './records.js'

/** A team's SCIM connections: its endpoint id and the hash of its bearer token (one enabled at a time). */
export interface ConnectionStore {
  getEnabledConnection(teamId: string): Promise<ScimConnection | null>
  getLatestConnection(teamId: string): Promise<ScimConnection | null>
  insertConnection(teamId: string, endpointId: string, tokenHash: string): Promise<ScimConnection>
  rotateConnectionToken(teamId: string, endpointId: string, tokenHash: string): Promise<ScimConnection>
  disableConnection(teamId: string, endpointId: string): Promise<void>
  touchConnection(teamId: string, endpointId: string): Promise<void>
}

/**
 * A SCIM request's bearer token looked up, with the token's team's users when the request's list can
 * be read in the same statement. It reads two aggregates (connections and users) on purpose: every
 * SCIM request starts with the token, and most IdP requests are an eq lookup (or Okta's connection
 * test, the first page), so reading both at once is one round trip per request instead of two.
 */
export interface CredentialLookup {
  /**
   * Global by nature: the token is all a SCIM request carries until it is verified. With
   * `usersQuery`, also the token's team's users matching it, in the same round trip, when the store
   * can answer it whole that way (the eq lookups IdPs make before every write, and the first page of
   * the unfiltered list: Okta's connection test); `users` is undefined otherwise. The caller shows
   * them only once the credential is verified.
   */
  findConnectionByTokenHash(tokenHash: string, usersQuery?: ListQuery): Promise<ConnectionWithUsers | null>
}

/** The service's own settings (service_settings): keys the service generates once and every replica shares. */
export interface ServiceSettings {
  getSetting(key: string): Promise<string | null>
  /** Stores the value unless the key exists; returns the value that is stored afterwards. */
  putSettingIfAbsent(key: string, value: string): Promise<string>
}
