import { hashesEqual, hashToken } from './tokens.js'
import type { Clock } from '../provisioning/clock.js'
import type { TeamStore } from '../store/team-store.js'

/** How stale lastUsedAt may get: one write a minute per endpoint instead of one per request. */
const LAST_USED_RESOLUTION_MS = 60_000

export interface ScimPrincipal {
  readonly teamId: string
  readonly endpointId: string
}

/**
 * DESIGN.md §2: a token opens only its own endpointId, and only while SCIM is enabled and the
 * team's SSO is active. Every refusal looks the same to the caller (a 401).
 */
export async function verifyScimToken(
  store: TeamStore,
  token: string,
  endpointId: string,
  clock: Clock,
): Promise<ScimPrincipal | null> {
  const presented = hashToken(token)
  const credential = await store.findConnectionByTokenHash(presented)
  if (!credential || !hashesEqual(credential.tokenHash, presented)) return null
  if (credential.endpointId !== endpointId.toLowerCase() || !credential.ssoActive) return null
  const now = clock().getTime()
  if (!credential.lastUsedAt || now - credential.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await store.touchConnection(credential.teamId, credential.endpointId)
  }
  return { teamId: credential.teamId, endpointId: credential.endpointId }
}
