import { and, eq, sql, type SQL } from 'drizzle-orm'
import type { Db } from './database.js'
import { filterToSql, type SqlResource } from './filter-sql.js'
import { listRows } from './list-rows.js'
import { scimGroupMembers, scimGroups, scimUsers } from './schema.js'
import { groupView } from '../../scim/core/group-resource.js'
import type { GroupMemberRow, ListQuery } from '../team-store.js'

/** Groups' filterable attributes: columns, the document, and members as rows (`members[value eq "..."]`). */
export const groupSqlResource: SqlResource = {
  view: groupView,
  doc: sql`${scimGroups.doc}`,
  columns: {
    id: { column: sql`${scimGroups.id}`, notNull: true, uuid: true },
    displayname: { column: sql`${scimGroups.displayName}`, notNull: true },
    externalid: { column: sql`${scimGroups.externalId}`, notNull: false },
    'meta.created': { column: sql`${scimGroups.createdAt}`, notNull: true },
    'meta.lastmodified': { column: sql`${scimGroups.lastModified}`, notNull: true },
  },
  constants: { 'meta.resourcetype': 'Group' },
  relations: {
    members: {
      exists: (condition) =>
        sql`exists (select 1 from ${scimGroupMembers} as scim_m where scim_m.team_id = ${scimGroups.teamId} and scim_m.group_id = ${scimGroups.id} and ${condition})`,
      subAttributes: { value: sql`(scim_m.user_id::text)` },
    },
  },
}

export async function groupListQuery(db: Db, teamId: string, query: ListQuery) {
  const conditions: SQL[] = [eq(scimGroups.teamId, teamId)]
  if (query.filter) conditions.push(filterToSql(query.filter, groupSqlResource))
  return listRows<typeof scimGroups.$inferSelect>(db, { table: scimGroups, id: scimGroups.id, createdAt: scimGroups.createdAt }, groupSqlResource, and(...conditions), query)
}

/** Members of several groups in one query (a page of groups costs one round trip, not one per group). */
export async function groupMembersQuery(db: Db, teamId: string, groupIds: readonly string[], limit?: number) {
  const members = new Map<string, GroupMemberRow[]>()
  if (groupIds.length === 0) return members
  const ranked = db
    .select({
      groupId: scimGroupMembers.groupId,
      value: sql<string>`${scimGroupMembers.userId}::text`.as('value'),
      display: sql<string>`coalesce(${scimGroupMembers.display}, ${scimUsers.userName})`.as('display'),
      rank: sql<number>`row_number() over (partition by ${scimGroupMembers.groupId} order by ${scimGroupMembers.createdAt}, ${scimGroupMembers.userId})`.as('rank'),
    })
    .from(scimGroupMembers)
    .innerJoin(scimUsers, and(eq(scimUsers.teamId, scimGroupMembers.teamId), eq(scimUsers.id, scimGroupMembers.userId)))
    .where(and(eq(scimGroupMembers.teamId, teamId), sql`${scimGroupMembers.groupId} = any(${sql.param(groupIds)}::uuid[])`))
    .as('ranked')
  const rows = await db
    .select()
    .from(ranked)
    .where(limit === undefined ? undefined : sql`${ranked.rank} <= ${limit}`)
    .orderBy(ranked.groupId, ranked.rank)
  for (const row of rows) {
    const list = members.get(row.groupId) ?? []
    list.push({ value: row.value, display: row.display })
    members.set(row.groupId, list)
  }
  return members
}
