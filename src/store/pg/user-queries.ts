import { and, count, eq, sql, type SQL } from 'drizzle-orm'
import type { Db } from './database.js'
import { howToNarrow, indexedPart, indexedSorts, sortIndexed } from './filter-indexes.js'
import { filterToSql, type SqlResource } from './filter-sql.js'
import { listRows } from './list-rows.js'
import { membershipRows } from './group-queries.js'
import { scimUserCounts, scimUsers } from './schema.js'
import type { Filter } from '../../scim/filter/ast.js'
import { userView } from '../../scim/core/user-resource.js'
import { pathKey, resolvePath } from '../../scim/core/attribute-path.js'
import { formatAttrPath, formatFilter } from '../../scim/filter/format.js'
import type { ListQuery } from '../records.js'
import { StoreFilterTooBroad } from '../store-errors.js'

/**
 * Users' attribute table: what lives in columns, what indexes serve (migrations 0000-0006; each
 * `indexes` entry has an EXPLAIN case in filter-explain.test.ts) and what a large team may be sorted
 * by. Every other attribute of the schemas is read from `doc`, with no index. externalId is not
 * unique but is one IdP user's key: a lookup.
 */
export const userSqlResource: SqlResource = {
  view: userView,
  doc: sql`${scimUsers.doc}`,
  // In the order a refusal on a large team names them (filter-indexes.ts howToNarrow).
  attributes: {
    username: {
      column: { column: sql`${scimUsers.userName}`, notNull: true },
      indexes: { eq: 'lookup', ordered: true, prefix: true, trigram: true },
      sortIndexed: true,
    },
    // In the document, with expression indexes on it (migrations 0005, 0006).
    displayname: { indexes: { eq: 'range', ordered: true, prefix: true, trigram: true }, sortIndexed: true },
    'name.familyname': { indexes: { eq: 'range', trigram: true } },
    'emails.value': {
      valuesArray: sql`scim_email_values(${scimUsers.doc})`,
      valuesText: sql`scim_email_text(${scimUsers.doc})`,
      indexes: { eq: 'lookup', trigram: true },
    },
    externalid: { column: { column: sql`${scimUsers.externalId}`, notNull: false }, indexes: { eq: 'lookup' } },
    id: { column: { column: sql`${scimUsers.id}`, notNull: true, uuid: true }, indexes: { eq: 'lookup' }, sortIndexed: true },
    'meta.created': {
      column: { column: sql`${scimUsers.createdAt}`, notNull: true },
      indexes: { eq: 'range', ordered: true },
      sortIndexed: true,
    },
    'meta.lastmodified': {
      column: { column: sql`${scimUsers.lastModified}`, notNull: true },
      indexes: { eq: 'range', ordered: true },
      sortIndexed: true,
    },
    // Null when a PATCH removed it (RFC 7644 §3.5.2.2): `active pr` is then false.
    active: { column: { column: sql`${scimUsers.active}`, notNull: false } },
    'meta.resourcetype': { constant: 'User' },
    // `groups` is not stored in the document: it is the user's rows in scim_group_members.
    groups: { rows: membershipRows('user') },
    'groups.value': { indexes: { eq: 'range' } },
  },
  counted: (filter) => activeEq(filter) !== undefined,
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
 * The rule for lists on large teams: on a team of more than `budget` users, a filter must be narrowed by an
 * index to at most `budget` users, and an order must follow an index unless the filter narrowed
 * the rows, or the list is refused (tooMany) before anything scans. Smaller teams are scanned at
 * most `budget` rows, which the statement timeout bounds anyway. Returns the exact total when the
 * bounded count covered the whole filter (the list then need not count again).
 */
async function withinBudget(db: Db, teamId: string, query: ListQuery, budget: number): Promise<number | undefined> {
  const { filter } = query
  const part = filter ? indexedPart(filter, userSqlResource) : undefined
  const ordered = sortIndexed(query.sortBy, userSqlResource)
  if (part?.kind === 'lookup' || ((part === undefined || part.kind === 'counted') && ordered)) return undefined
  const [size] = await db.select({ total: scimUserCounts.total }).from(scimUserCounts).where(eq(scimUserCounts.teamId, teamId))
  if ((size?.total ?? 0) <= budget) return undefined
  const narrow = `${howToNarrow(userSqlResource)}; to read every user, page without a filter by cursor.`
  if (part?.kind === 'none') {
    throw new StoreFilterTooBroad(
      `The filter part ${part.part} cannot use an index (${part.why}), and this team has more than ${budget} users. ${narrow}`,
    )
  }
  if (part === undefined || part.kind === 'counted') {
    throw new StoreFilterTooBroad(
      `sortBy ${formatAttrPath(query.sortBy!)} has no index, and this team has more than ${budget} users: sort by ${indexedSorts(userSqlResource)}, or add a filter that matches at most ${budget} users.`,
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
  const named = resolvePath(filter.path, userView)
  return named && pathKey(named) === 'active' ? filter.value : undefined
}
