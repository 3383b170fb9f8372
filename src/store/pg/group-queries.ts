import { and, eq, sql, type SQL } from 'drizzle-orm'
import type { Db } from './database.js'
import { filterToSql, type RelationAttribute, type SqlResource } from './filter-sql.js'
import { listRows } from './list-rows.js'
import { scimGroupMembers, scimGroups, scimUsers } from './schema.js'
import { groupView } from '../../scim/core/group-resource.js'
import type { GroupMemberRow, ListQuery } from '../records.js'

/**
 * The membership rows (scim_group_members, aliased scim_m) of the group or user being filtered: a
 * Group's `members` and a User's `groups`, whose `value` is the id on the other side.
 */
export function membershipRows(of: 'group' | 'user'): RelationAttribute {
  const [owner, own, other] =
    of === 'group'
      ? [scimGroups, sql.raw('scim_m.group_id'), sql.raw('scim_m.user_id')]
      : [scimUsers, sql.raw('scim_m.user_id'), sql.raw('scim_m.group_id')]
  return {
    exists: (condition) =>
      sql`exists (select 1 from ${scimGroupMembers} as scim_m where scim_m.team_id = ${owner.teamId} and ${own} = ${owner.id} and ${condition})`,
    subAttributes: { value: sql`(${other}::text)` },
  }
}

/** Groups' filterable attributes: columns, the document, and members as rows (`members[value eq "..."]`). */
export const groupSqlResource: SqlResource = {
  view: groupView,
  doc: sql`${scimGroups.doc}`,
  attributes: {
    id: { column: { column: sql`${scimGroups.id}`, notNull: true, uuid: true } },
    displayname: { column: { column: sql`${scimGroups.displayName}`, notNull: true } },
    externalid: { column: { column: sql`${scimGroups.externalId}`, notNull: false } },
    'meta.created': { column: { column: sql`${scimGroups.createdAt}`, notNull: true } },
    'meta.lastmodified': { column: { column: sql`${scimGroups.lastModified}`, notNull: true } },
    'meta.resourcetype': { constant: 'Group' },
    members: { rows: membershipRows('group') },
  },
}

export async function groupListQuery(db: Db, teamId: string, query: ListQuery) {
  const conditions: SQL[] = [eq(scimGroups.teamId, teamId)]
  if (query.filter) conditions.push(filterToSql(query.filter, groupSqlResource))
  return listRows<typeof scimGroups.$inferSelect>(
    db,
    { table: scimGroups, teamId: scimGroups.teamId, id: scimGroups.id, createdAt: scimGroups.createdAt, team: teamId },
    groupSqlResource,
    and(...conditions),
    query,
  )
}

/**
 * Whether more than `limit` membership rows match `where`, counted along an index (limit + 1 entries
 * at most). Handing rows over is what costs: on PGlite, whose SQL runs on the event loop, 10,000 rows
 * took 65 ms to read and 4 ms to count. So a request over a cap is refused for the price of the count.
 */
async function moreRowsThan(db: Db, where: SQL, limit: number): Promise<boolean> {
  const counted = db
    .select({ one: sql`1` })
    .from(scimGroupMembers)
    .where(where)
    .limit(limit + 1)
    .as('counted')
  const [row] = await db.select({ rows: sql<number>`count(*)::int` }).from(counted)
  return (row?.rows ?? 0) > limit
}

/**
 * Members of several groups in one query (a page of groups costs one round trip, not one per group),
 * in insertion order; undefined when there are more than `limit` in all. The cut is taken on the
 * membership rows (the primary key yields a group's rows one after another, and the scan stops
 * there), so the statement costs the limit, not the page's three million members; the users are then
 * joined to those rows only, and the few are sorted. It repeats the count's limit, which a member
 * added in between could pass.
 */
export async function groupMembersQuery(db: Db, teamId: string, groupIds: readonly string[], limit?: number) {
  const members = new Map<string, GroupMemberRow[]>()
  if (groupIds.length === 0) return members
  const where = and(eq(scimGroupMembers.teamId, teamId), sql`${scimGroupMembers.groupId} = any(${sql.param(groupIds)}::uuid[])`)!
  if (limit !== undefined && (await moreRowsThan(db, where, limit))) return undefined
  const rowsOfGroups = db
    .select({
      groupId: scimGroupMembers.groupId,
      userId: scimGroupMembers.userId,
      display: scimGroupMembers.display,
      createdAt: scimGroupMembers.createdAt,
    })
    .from(scimGroupMembers)
    .where(where)
    .$dynamic()
  const picked = (limit === undefined ? rowsOfGroups : rowsOfGroups.limit(limit + 1)).as('picked')
  const rows = await db
    .select({
      groupId: picked.groupId,
      value: sql<string>`${picked.userId}::text`,
      display: sql<string>`coalesce(${picked.display}, ${scimUsers.userName})`,
    })
    .from(picked)
    .innerJoin(scimUsers, and(eq(scimUsers.teamId, teamId), eq(scimUsers.id, picked.userId)))
    .orderBy(picked.groupId, picked.createdAt, picked.userId)
  if (limit !== undefined && rows.length > limit) return undefined
  return collect(members, rows, (row) => row.groupId)
}

/**
 * The groups of several users (RFC 7643 §4.1.2 `groups`), sorted by displayName; undefined when there
 * are more than `limit` in all. Counted and cut on the membership rows first, along
 * scim_group_members_user_idx, as above.
 */
export async function groupsOfUsersQuery(db: Db, teamId: string, userIds: readonly string[], limit?: number) {
  const groups = new Map<string, GroupMemberRow[]>()
  if (userIds.length === 0) return groups
  const where = and(eq(scimGroupMembers.teamId, teamId), sql`${scimGroupMembers.userId} = any(${sql.param(userIds)}::uuid[])`)!
  if (limit !== undefined && (await moreRowsThan(db, where, limit))) return undefined
  const rowsOfUsers = db
    .select({ userId: scimGroupMembers.userId, groupId: scimGroupMembers.groupId })
    .from(scimGroupMembers)
    .where(where)
    .$dynamic()
  const picked = (limit === undefined ? rowsOfUsers : rowsOfUsers.limit(limit + 1)).as('picked')
  const rows = await db
    .select({ userId: sql<string>`${picked.userId}::text`, value: scimGroups.id, display: scimGroups.displayName })
    .from(picked)
    .innerJoin(scimGroups, and(eq(scimGroups.teamId, teamId), eq(scimGroups.id, picked.groupId)))
    .orderBy(scimGroups.displayName, scimGroups.id)
  if (limit !== undefined && rows.length > limit) return undefined
  return collect(groups, rows, (row) => row.userId)
}

/**
 * Appends each row's { value, display } to its owner's list in `into`. push, not a copy of the list
 * per row: a user in 8,000 groups cost 32 million copies that way.
 */
function collect<Row extends GroupMemberRow>(
  into: Map<string, GroupMemberRow[]>,
  rows: readonly Row[],
  ownerOf: (row: Row) => string,
): Map<string, GroupMemberRow[]> {
  for (const row of rows) {
    const list = into.get(ownerOf(row))
    if (list) list.push({ value: row.value, display: row.display })
    else into.set(ownerOf(row), [{ value: row.value, display: row.display }])
  }
  return into
}
