import { hashesEqual, hashToken } from './tokens.js'
import type { Clock } from '../clock.js'
import type { ListQuery, ListResult, ScimUserRecord } from '../store/records.js'
import type { Ports } from '../store/stores.js'

/** How stale lastUsedAt may get: one write a minute per endpoint instead of one per request. */
const LAST_USED_RESOLUTION_MS = 60_000

export interface ScimPrincipal {
  readonly teamId: string
  readonly endpointId: string
}

export interface VerifiedScimRequest {
  readonly principal: ScimPrincipal
  /** The users matching `usersQuery`, when the store read them with the token; see CredentialLookup.findConnectionByTokenHash. */
  readonly users: ListResult<ScimUserRecord> | undefined
}

/**
 * A token opens only its own endpointId, and only while SCIM is enabled and the
 * team's SSO is active. Every refusal looks the same to the caller (a 401). With `usersQuery`
 * (a request for a list of Users), the store may answer it in the token's own round trip; those
 * users leave here only with a verified principal.
 */
export async function verifyScimToken(
  store: Pick<Ports, 'credentials' | 'connections'>,
  token: string,
  endpointId: string,
  clock: Clock,
  usersQuery?: ListQuery,
): Promise<VerifiedScimRequest | null> {
  const presented = hashToken(token)
  const found = await store.credentials.findConnectionByTokenHash(presented, usersQuery)
  if (!found) return null
  const { credential } = found
  if (!hashesEqual(credential.tokenHash, presented)) return null
  if (credential.endpointId !== endpointId.toLowerCase() || !credential.ssoActive) return null
  const now = clock().getTime()
  if (!credential.lastUsedAt || now - credential.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await store.connections.touchConnection(credential.teamId, credential.endpointId)
  }
  return { principal: { teamId: credential.teamId, endpointId: credential.endpointId }, users: found.users }
}
