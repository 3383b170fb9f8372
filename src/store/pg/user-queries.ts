import { and, count, eq, sql, type SQL } from 'drizzle-orm'
import type { Db } from './database.js'
import { indexedPart, sortIndexed, type IndexedResource } from './filter-indexes.js'
import { filterToSql, type SqlResource } from './filter-sql.js'
import { listRows } from './list-rows.js'
import { scimGroupMembers, scimUserCounts, scimUsers } from './schema.js'
import type { Filter } from '../../scim/filter/ast.js'
import { userView } from '../../scim/core/user-resource.js'
import { formatAttrPath, formatFilter } from '../../scim/filter/format.js'
import { StoreFilterTooBroad, type ListQuery } from '../team-store.js'

/** Users' filterable attributes that live in columns (indexed), the rest is in `doc`. */
export const userSqlResource: SqlResource = {
  view: userView,
  doc: sql`${scimUsers.doc}`,
  columns: {
    id: { column: sql`${scimUsers.id}`, notNull: true, uuid: true },
    username: { column: sql`${scimUsers.userName}`, notNull: true },
    externalid: { column: sql`${scimUsers.externalId}`, notNull: false },
    // Null when a PATCH removed it (RFC 7644 §3.5.2.2): `active pr` is then false.
    active: { column: sql`${scimUsers.active}`, notNull: false },
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

/**
 * The indexes of scim_users as filters can use them (migrations 0000-0006; each entry has an EXPLAIN
 * case in filter-explain.test.ts). externalId is not unique but is one IdP user's key: a lookup.
 */
export const userIndexes: IndexedResource = {
  coreSchema: userView.core.id,
  attributes: {
    id: { eq: 'lookup' },
    username: { eq: 'lookup', ordered: true, prefix: true, trigram: true },
    externalid: { eq: 'lookup' },
    'emails.value': { eq: 'lookup', trigram: true },
    displayname: { eq: 'range', ordered: true, prefix: true, trigram: true },
    'name.familyname': { eq: 'range', trigram: true },
    'meta.created': { eq: 'range', ordered: true },
    'meta.lastmodified': { eq: 'range', ordered: true },
    'groups.value': { eq: 'range' },
  },
  counted: (filter) => activeEq(filter) !== undefined,
  valueOf: ['emails', 'groups'],
  sortable: ['id', 'username', 'displayname', 'meta.created', 'meta.lastmodified'],
}

/** GET /Users: one page and the exact total (RFC 7644 §3.4.2.4). */
export async function userListQuery(db: Db, teamId: string, query: ListQuery, matchBudget: number) {
  const conditions: SQL[] = [eq(scimUsers.teamId, teamId)]
  if (query.filter) conditions.push(filterToSql(query.filter, userSqlResource))
  const counted = await withinBudget(db, teamId, query, matchBudget)
  return listRows<typeof scimUsers.$inferSelect>(
    db,
    { table: scimUsers, teamId: scimUsers.teamId, id: scimUsers.id, createdAt: scimUsers.createdAt, team: teamId },
    userSqlResource,
    and(...conditions),
    query,
    counted === undefined ? countedTotal(db, teamId, query.filter) : async () => counted,
  )
}

/**
 * Issue #9's rule for lists: on a team of more than `budget` users, a filter must be narrowed by an
 * index to at most `budget` users, and an order must follow an index unless the filter narrowed
 * the rows, or the list is refused (tooMany) before anything scans. Smaller teams are scanned at
 * most `budget` rows, which the statement timeout bounds anyway. Returns the exact total when the
 * bounded count covered the whole filter (the list then need not count again).
 */
async function withinBudget(db: Db, teamId: string, query: ListQuery, budget: number): Promise<number | undefined> {
  const { filter } = query
  const part = filter ? indexedPart(filter, userIndexes) : undefined
  const ordered = sortIndexed(query.sortBy, userIndexes)
  if (part?.kind === 'lookup' || ((part === undefined || part.kind === 'counted') && ordered)) return undefined
  const [size] = await db.select({ total: scimUserCounts.total }).from(scimUserCounts).where(eq(scimUserCounts.teamId, teamId))
  if ((size?.total ?? 0) <= budget) return undefined
  const narrow =
    'Narrow it with eq on userName, externalId, emails.value or id, or with co/sw/ew of 3 or more characters on userName, displayName, name.familyName or emails.value; to read every user, page without a filter by cursor.'
  if (part?.kind === 'none') {
    throw new StoreFilterTooBroad(
      `The filter part ${part.part} cannot use an index (${part.why}), and this team has more than ${budget} users. ${narrow}`,
    )
  }
  if (part === undefined || part.kind === 'counted') {
    throw new StoreFilterTooBroad(
      `sortBy ${formatAttrPath(query.sortBy!)} has no index, and this team has more than ${budget} users: sort by userName, displayName, meta.created, meta.lastModified or id, or add a filter that matches at most ${budget} users.`,
    )
  }
  // One row past the budget is enough to know: the count reads at most budget + 1 index entries.
  const candidates = db
    .select({ one: sql`1` })
    .from(scimUsers)
    .where(and(eq(scimUsers.teamId, teamId), filterToSql(part.filter, userSqlResource)))
    .limit(budget + 1)
    .as('scim_candidates')
  const [row] = await db.select({ n: count() }).from(candidates)
  const n = row?.n ?? 0
  if (n > budget) throw new StoreFilterTooBroad(`The filter ${formatFilter(part.filter)} matches more than ${budget} users. ${narrow}`)
  return part.filter === filter ? n : undefined
}

/**
 * The exact total from scim_user_counts (kept by triggers, migrations 0002 and 0008) for the two lists every
 * IdP pages through: all users (Okta's connection test and imports) and `active eq true|false`.
 */
function countedTotal(db: Db, teamId: string, filter: Filter | undefined): (() => Promise<number>) | undefined {
  const active = filter === undefined ? undefined : activeEq(filter)
  if (filter !== undefined && active === undefined) return undefined
  return async () => {
    const [row] = await db
      .select({ total: scimUserCounts.total, active: scimUserCounts.active, inactive: scimUserCounts.inactive })
      .from(scimUserCounts)
      .where(eq(scimUserCounts.teamId, teamId))
    if (!row) return 0
    return active === undefined ? row.total : active ? row.active : row.inactive
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
