import { AdminError } from './admin-error.js'
import type { Clock } from '../clock.js'
import type { ChangeKind } from '../events/change-event.js'
import { endpointBaseUrl } from '../scim/protocol/endpoint-url.js'
import { generateEndpointId, generateToken, hashToken, SCIM_TOKEN_PREFIX, type RandomSource } from '../auth/tokens.js'
import type { AuditEvent, ScimConnection } from '../store/records.js'
import { StoreConflict } from '../store/store-errors.js'
import type { StoreScope } from '../store/stores.js'

/** The ports SCIM connection management uses: the connections, the team and its Owner and SSO, the audit log. */
export type ScimConnectionPorts = StoreScope<'connections' | 'accounts' | 'audit'>

/**
 * What the Compound app shows the Owner: `active` (identity providers get through), `suspended`
 * (enabled, but every SCIM request is refused until the reason is mended), or `disabled`.
 */
export type ScimState = 'active' | 'suspended' | 'disabled'

/** Why an enabled connection refuses requests: the team has no active SSO configuration. */
export type SuspendedReason = 'sso_inactive'

export interface ScimStatus {
  enabled: boolean
  state: ScimState
  suspendedReason: SuspendedReason | null
  endpointUrl: string | null
  createdAt: string | null
  rotatedAt: string | null
  lastUsedAt: string | null
  disabledAt: string | null
}

export interface IssuedToken {
  endpointUrl: string
  endpointId: string
  token: string
  createdAt: string
  rotatedAt: string | null
}

type Action = 'scim.enable' | 'scim.rotate' | 'scim.disable' | 'scim.status' | 'scim.events'

/** The change event of each action; accountId is the Owner who acted. Never the token. */
const CONNECTION_CHANGES: Partial<Record<Action, ChangeKind>> = {
  'scim.enable': 'scim.enabled',
  'scim.rotate': 'scim.rotated',
  'scim.disable': 'scim.disabled',
}

/**
 * Enabling, rotating and disabling a team's SCIM endpoint (README, "Compound's rules"): Team Owners only, SSO
 * required to enable, the token shown once and stored as a hash.
 */
export class ScimConnections {
  constructor(
    private readonly store: ScimConnectionPorts,
    private readonly random?: RandomSource,
    private readonly clock?: Clock,
  ) {}

  /** `{PUBLIC_BASE_URL}/scim/v2/{endpointId}/`, with the trailing slash the IdP admin pastes. */
  endpointUrl(baseUrl: string, endpointId: string): string {
    return `${endpointBaseUrl(baseUrl, endpointId)}/`
  }

  enable(teamId: string, actorId: string, baseUrl: string): Promise<IssuedToken> {
    return this.asOwner(teamId, actorId, 'scim.enable', async (tx) => {
      const sso = await tx.accounts.getSso(teamId)
      if (!sso?.active) {
        throw new AdminError('sso_required', 'SCIM can be enabled only while the team has an active SSO configuration')
      }
      if (await tx.connections.getEnabledConnection(teamId)) {
        throw new AdminError('scim_already_enabled', 'SCIM is already enabled for this team; rotate the token instead')
      }
      const token = generateToken(SCIM_TOKEN_PREFIX, this.random)
      const connection = await tx.connections.insertConnection(teamId, generateEndpointId(this.random), hashToken(token))
      return { result: this.issued(baseUrl, connection, token), endpointId: connection.endpointId }
    })
  }

  rotate(teamId: string, actorId: string, baseUrl: string): Promise<IssuedToken> {
    return this.asOwner(teamId, actorId, 'scim.rotate', async (tx) => {
      const current = await this.requireEnabled(tx, teamId)
      const token = generateToken(SCIM_TOKEN_PREFIX, this.random)
      // The old hash is overwritten in the same row: no window in which both tokens work.
      const connection = await tx.connections.rotateConnectionToken(teamId, current.endpointId, hashToken(token))
      return { result: this.issued(baseUrl, connection, token), endpointId: connection.endpointId }
    })
  }

  disable(teamId: string, actorId: string): Promise<void> {
    return this.asOwner(teamId, actorId, 'scim.disable', async (tx) => {
      const current = await this.requireEnabled(tx, teamId)
      await tx.connections.disableConnection(teamId, current.endpointId)
      return { result: undefined, endpointId: current.endpointId }
    })
  }

  status(teamId: string, actorId: string, baseUrl: string): Promise<ScimStatus> {
    return this.asOwner(
      teamId,
      actorId,
      'scim.status',
      async (tx) => {
        const latest = await tx.connections.getLatestConnection(teamId)
        const enabled = Boolean(latest && !latest.disabledAt)
        const ssoActive = enabled && (await tx.accounts.getSso(teamId))?.active === true
        return {
          result: {
            enabled,
            state: !enabled ? 'disabled' : ssoActive ? 'active' : 'suspended',
            suspendedReason: enabled && !ssoActive ? 'sso_inactive' : null,
            endpointUrl: latest && enabled ? this.endpointUrl(baseUrl, latest.endpointId) : null,
            createdAt: latest?.createdAt.toISOString() ?? null,
            rotatedAt: latest?.rotatedAt?.toISOString() ?? null,
            lastUsedAt: latest?.lastUsedAt?.toISOString() ?? null,
            disabledAt: latest?.disabledAt?.toISOString() ?? null,
          },
          endpointId: latest?.endpointId ?? null,
        }
      },
      { audit: false },
    )
  }

  events(teamId: string, actorId: string, page: { limit: number; beforeId?: number | undefined }): Promise<AuditEvent[]> {
    return this.asOwner(
      teamId,
      actorId,
      'scim.events',
      async (tx) => ({ result: await tx.audit.listEvents(teamId, page), endpointId: null }),
      {
        audit: false,
      },
    )
  }

  private issued(baseUrl: string, connection: ScimConnection, token: string): IssuedToken {
    return {
      endpointUrl: this.endpointUrl(baseUrl, connection.endpointId),
      endpointId: connection.endpointId,
      token,
      createdAt: connection.createdAt.toISOString(),
      rotatedAt: connection.rotatedAt?.toISOString() ?? null,
    }
  }

  private async requireEnabled(tx: ScimConnectionPorts, teamId: string): Promise<ScimConnection> {
    const current = await tx.connections.getEnabledConnection(teamId)
    if (!current) throw new AdminError('scim_not_enabled', 'SCIM is not enabled for this team')
    return current
  }

  /**
   * Runs `work` in one transaction holding the team's row lock, after checking that the actor is
   * the team's Owner. Writes the audit entry for successes (in the transaction) and for rejections
   * (after it rolled back), so a refused attempt is on record too.
   */
  private async asOwner<T>(
    teamId: string,
    actorId: string,
    action: Action,
    work: (tx: ScimConnectionPorts) => Promise<{ result: T; endpointId: string | null }>,
    options: { audit: boolean } = { audit: true },
  ): Promise<T> {
    try {
      return await this.store.transaction(async (tx) => {
        if (!(await tx.accounts.lockTeam(teamId))) throw new AdminError('team_not_found', `Team ${teamId} does not exist`)
        const owner = await tx.accounts.getOwner(teamId)
        if (!owner || owner.id !== actorId) {
          throw new AdminError('not_team_owner', 'Only the Team Owner can manage SCIM settings')
        }
        const { result, endpointId } = await work(tx)
        if (options.audit) {
          const kind = CONNECTION_CHANGES[action]
          await tx.audit.recordChanges(
            teamId,
            { source: 'admin', action, outcome: 'ok', actorId, endpointId },
            kind ? [{ kind, accountId: actorId, changes: { endpointId } }] : [],
          )
        }
        return result
      })
    } catch (error) {
      const rejection =
        error instanceof StoreConflict && error.rule === 'oneEnabledConnection'
          ? new AdminError('scim_already_enabled', 'SCIM is already enabled for this team; rotate the token instead', {
              cause: error,
            })
          : error
      if (rejection instanceof AdminError && rejection.code !== 'team_not_found' && options.audit) {
        await this.store.audit
          .appendEvent(teamId, { source: 'admin', action, outcome: `rejected:${rejection.code}`, actorId })
          .catch(() => undefined)
      }
      throw rejection
    }
  }
}
