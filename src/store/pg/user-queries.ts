import { and, eq, sql, type SQL } from 'drizzle-orm'
import type { Db } from './database.js'
import { filterToSql, type SqlResource } from './filter-sql.js'
import { listRows } from './list-rows.js'
import { scimGroupMembers, scimUserCounts, scimUsers } from './schema.js'
import type { Filter } from '../../scim/filter/ast.js'
import { userView } from '../../scim/core/user-resource.js'
import type { ListQuery } from '../team-store.js'

/** Users' filterable attributes that live in columns (indexed), the rest is in `doc`. */
export const userSqlResource: SqlResource = {
  view: userView,
  doc: sql`${scimUsers.doc}`,
  columns: {
    id: { column: sql`${scimUsers.id}`, notNull: true, uuid: true },
    username: { column: sql`${scimUsers.userName}`, notNull: true },
    externalid: { column: sql`${scimUsers.externalId}`, notNull: false },
    active: { column: sql`${scimUsers.active}`, notNull: true },
    'meta.created': { column: sql`${scimUsers.createdAt}`, notNull: true },
    'meta.lastmodified': { column: sql`${scimUsers.lastModified}`, notNull: true },
  },
  constants: { 'meta.resourcetype': 'User' },
  arrayIndexes: { 'emails.value': sql`scim_email_values(${scimUsers.doc})` },
  textIndexes: { 'emails.value': sql`scim_email_text(${scimUsers.doc})` },
  // `groups` is not stored in the document: it is the user's rows in scim_group_members.
  relations: {
    groups: {
      exists: (condition) =>
        sql`exists (select 1 from ${scimGroupMembers} as scim_m where scim_m.team_id = ${scimUsers.teamId} and scim_m.user_id = ${scimUsers.id} and ${condition})`,
      subAttributes: { value: sql`(scim_m.group_id::text)` },
    },
  },
}

/** GET /Users: one page and the exact total (RFC 7644 §3.4.2.4). */
export async function userListQuery(db: Db, teamId: string, query: ListQuery) {
  const conditions: SQL[] = [eq(scimUsers.teamId, teamId)]
  if (query.filter) conditions.push(filterToSql(query.filter, userSqlResource))
  return listRows<typeof scimUsers.$inferSelect>(
    db,
    { table: scimUsers, id: scimUsers.id, createdAt: scimUsers.createdAt },
    userSqlResource,
    and(...conditions),
    query,
    countedTotal(db, teamId, query.filter),
  )
}

/**
 * The exact total from scim_user_counts (kept by triggers, migration 0002) for the two lists every
 * IdP pages through: all users (Okta's connection test and imports) and `active eq true|false`.
 */
function countedTotal(db: Db, teamId: string, filter: Filter | undefined): (() => Promise<number>) | undefined {
  const active = filter === undefined ? undefined : activeEq(filter)
  if (filter !== undefined && active === undefined) return undefined
  return async () => {
    const [row] = await db.select({ total: scimUserCounts.total, active: scimUserCounts.active }).from(scimUserCounts).where(eq(scimUserCounts.teamId, teamId))
    if (!row) return 0
    return active === undefined ? row.total : active ? row.active : row.total - row.active
  }
}

/** `active eq true` / `active eq false` (any case, optionally core-URN-qualified) -> the boolean. */
function activeEq(filter: Filter): boolean | undefined {
  if (filter.kind !== 'compare' || filter.op !== 'eq' || typeof filter.value !== 'boolean') return undefined
  const { urn, attr, subAttr } = filter.path
  if (subAttr !== undefined || attr.toLowerCase() !== 'active') return undefined
  if (urn !== undefined && urn.toLowerCase() !== userView.core.id.toLowerCase()) return undefined
  return filter.value
}
