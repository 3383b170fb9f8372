import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from './database.js'
import { scimConnections, scimUsers, ssoConfigs } from './schema.js'
import type { Filter } from '../../scim/filter/ast.js'
import { foldCase } from '../../scim/core/case-fold.js'
import { userView } from '../../scim/core/user-resource.js'

/**
 * The queries nearly every IdP request makes: the bearer token's lookup, and the eq lookups IdPs
 * make before every write (userName, externalId, emails.value). `named`: as named prepared
 * statements, which PostgreSQL plans once per connection (STACK.md: 1.1-1.7x an unnamed query).
 * Unnamed (DATABASE_PREPARED_STATEMENTS=false, and inside transactions) for PgBouncer in transaction
 * mode, which cannot keep a connection's prepared statements: the same SQL either way.
 */
export function hotPath(db: Db, named: boolean) {
  // node-postgres sends a query without a name as an unnamed statement; PGlite ignores names.
  const name = (statement: string) => (named ? statement : (undefined as unknown as string))
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
      .prepare(name('scim_token_lookup')),
    userNameLookup: db
      .select()
      .from(scimUsers)
      .where(and(eq(scimUsers.teamId, sql.placeholder('teamId')), eq(sql`lower(${scimUsers.userName} collate "C")`, sql.placeholder('value'))))
      .prepare(name('scim_user_name_lookup')),
    externalIdLookup: db
      .select()
      .from(scimUsers)
      .where(and(eq(scimUsers.teamId, sql.placeholder('teamId')), eq(scimUsers.externalId, sql.placeholder('value'))))
      .orderBy(scimUsers.createdAt, scimUsers.id)
      .limit(sql.placeholder('limit'))
      .prepare(name('scim_external_id_lookup')),
    // The index condition alone is exact here: scim_email_values(doc) holds every string email value,
    // folded as `value` is (migration 0003), which is all `emails.value eq` asks. (filter-sql.ts adds
    // the element test because it also serves `emails[type eq ... and value eq ...]`.)
    emailLookup: db
      .select()
      .from(scimUsers)
      .where(and(eq(scimUsers.teamId, sql.placeholder('teamId')), sql`scim_email_values(${scimUsers.doc}) @> array[${sql.placeholder('value')}]::text[]`))
      .orderBy(scimUsers.createdAt, scimUsers.id)
      .limit(sql.placeholder('limit'))
      .prepare(name('scim_email_lookup')),
  }
}

export type HotLookup = 'userNameLookup' | 'externalIdLookup' | 'emailLookup'

/**
 * The lookups IdPs make before every write, recognised in a filter: `userName eq`, `externalId eq`,
 * `emails.value eq` / `emails[value eq]` (optionally core-URN-qualified), with the value as the
 * prepared statement compares it (folded where the attribute is not caseExact).
 */
export function hotLookup(filter: Filter | undefined): { lookup: HotLookup; value: string } | undefined {
  if (!filter) return undefined
  if (filter.kind === 'valuePath') {
    const { path } = filter
    const inner = filter.filter
    if (!isCore(path.urn) || path.subAttr || path.attr.toLowerCase() !== 'emails') return undefined
    if (inner.kind !== 'compare' || inner.op !== 'eq' || typeof inner.value !== 'string' || inner.path.urn || inner.path.subAttr) return undefined
    return inner.path.attr.toLowerCase() === 'value' ? { lookup: 'emailLookup', value: foldCase(inner.value) } : undefined
  }
  if (filter.kind !== 'compare' || filter.op !== 'eq' || typeof filter.value !== 'string' || !isCore(filter.path.urn)) return undefined
  const name = [filter.path.attr, filter.path.subAttr].filter(Boolean).join('.').toLowerCase()
  if (name === 'username') return { lookup: 'userNameLookup', value: foldCase(filter.value) }
  if (name === 'externalid') return { lookup: 'externalIdLookup', value: filter.value }
  if (name === 'emails.value') return { lookup: 'emailLookup', value: foldCase(filter.value) }
  return undefined
}

function isCore(urn: string | undefined): boolean {
  return urn === undefined || urn.toLowerCase() === userView.core.id.toLowerCase()
}

export type HotPath = ReturnType<typeof hotPath>

