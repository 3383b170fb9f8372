import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from './database.js'
import { scimConnections, scimUsers, ssoConfigs } from './schema.js'
import type { Filter } from '../../scim/filter/ast.js'
import { foldCase } from '../../scim/core/case-fold.js'
import { userView } from '../../scim/core/user-resource.js'

/**
 * The two queries nearly every IdP request makes, as prepared (named) statements: the bearer
 * token's lookup, and `userName eq` (the check before every create). PostgreSQL plans them once per
 * connection (STACK.md: 1.1-1.7x an unnamed query). Turned off by DATABASE_PREPARED_STATEMENTS=false
 * for PgBouncer in transaction mode, which cannot keep a connection's prepared statements.
 */
export function hotPath(db: Db) {
  return {
    tokenLookup: db
      .select({
        teamId: scimConnections.teamId,
        endpointId: scimConnections.endpointId,
        tokenHash: scimConnections.tokenHash,
        lastUsedAt: scimConnections.lastUsedAt,
        ssoActive: sql<boolean>`coalesce(${ssoConfigs.active}, false)`,
      })
      .from(scimConnections)
      .leftJoin(ssoConfigs, eq(ssoConfigs.teamId, scimConnections.teamId))
      .where(and(eq(scimConnections.tokenHash, sql.placeholder('tokenHash')), isNull(scimConnections.disabledAt)))
      .prepare('scim_token_lookup'),
    userNameLookup: db
      .select()
      .from(scimUsers)
      .where(and(eq(scimUsers.teamId, sql.placeholder('teamId')), eq(sql`lower(${scimUsers.userName} collate "C")`, sql.placeholder('userName'))))
      .prepare('scim_user_name_lookup'),
  }
}

export type HotPath = ReturnType<typeof hotPath>

/**
 * The folded userName of `userName eq "x"` (optionally core-URN-qualified) on a first page, else
 * undefined: the one list shape the prepared lookup answers. userName is unique per team, so the
 * page is the whole result and its length the exact total.
 */
export function userNameEq(filter: Filter | undefined): string | undefined {
  if (!filter || filter.kind !== 'compare' || filter.op !== 'eq' || typeof filter.value !== 'string') return undefined
  const { urn, attr, subAttr } = filter.path
  if (subAttr !== undefined || attr.toLowerCase() !== 'username') return undefined
  if (urn !== undefined && urn.toLowerCase() !== userView.core.id.toLowerCase()) return undefined
  return foldCase(filter.value)
}
