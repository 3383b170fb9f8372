import { and, eq, sql, type SQL } from 'drizzle-orm'
import type { PgExecutor } from './executor.js'
import { groupListQuery, groupMembersQuery, groupsOfUsersQuery } from './group-queries.js'
import { resourceRows } from './resource-rows.js'
import { scimGroupMembers, scimGroups, scimUsers } from './schema.js'
import type { GroupStore } from '../group-store.js'
import type { GroupMemberRow, ListQuery, ListResult, ScimGroupRecord } from '../records.js'

const groupRows = resourceRows(scimGroups, (group: ScimGroupRecord) => ({
  id: group.id,
  displayName: group.displayName,
  externalId: group.externalId,
  doc: group.doc,
  version: group.version,
  lastModified: group.lastModified,
}))

/** A team's SCIM Groups and their members, in PostgreSQL or PGlite. */
export class PgGroupStore implements GroupStore {
  constructor(private readonly executor: PgExecutor) {}

  async getGroup(teamId: string, id: string, options?: { lock?: boolean }): Promise<ScimGroupRecord | null> {
    const row = await groupRows.get(this.executor.db, teamId, id, options)
    return row ? toGroupRecord(row) : null
  }

  insertGroup(teamId: string, group: ScimGroupRecord): Promise<void> {
    return groupRows.insert(this.executor.db, teamId, group)
  }

  updateGroup(teamId: string, group: ScimGroupRecord, expectedVersion: number): Promise<boolean> {
    return groupRows.update(this.executor.db, teamId, group, expectedVersion)
  }

  deleteGroup(teamId: string, id: string): Promise<boolean> {
    return groupRows.remove(this.executor.db, teamId, id)
  }

  async listGroups(teamId: string, query: ListQuery): Promise<ListResult<ScimGroupRecord>> {
    const { totalResults, rows, nextAfterId } = await groupListQuery(this.executor.db, teamId, query)
    return { totalResults, resources: rows.map(toGroupRecord), nextAfterId }
  }

  listGroupMembers(teamId: string, groupIds: readonly string[], limit?: number): Promise<Map<string, GroupMemberRow[]> | undefined> {
    return groupMembersQuery(this.executor.db, teamId, groupIds, limit)
  }

  groupsOfUsers(teamId: string, userIds: readonly string[], limit?: number): Promise<Map<string, GroupMemberRow[]> | undefined> {
    return groupsOfUsersQuery(this.executor.db, teamId, userIds, limit)
  }

  async addGroupMembers(
    teamId: string,
    groupId: string,
    members: readonly { userId: string; display: string | null }[],
  ): Promise<string[]> {
    if (members.length === 0) return []
    // One statement for the whole list: ten thousand members is one round trip, not ten thousand.
    const result = await this.executor.db.execute(sql`
      insert into ${scimGroupMembers} (team_id, group_id, user_id, display)
      select ${teamId}, ${groupId}::uuid, m.user_id, m.display
      from unnest(${sql.param(members.map((m) => m.userId))}::uuid[], ${sql.param(members.map((m) => m.display))}::text[]) as m(user_id, display)
      on conflict do nothing
      returning user_id::text as user_id`)
    return (result as { rows: { user_id: string }[] }).rows.map((row) => row.user_id)
  }

  async addGroupMembersAndBump(
    teamId: string,
    groupId: string,
    members: readonly { userId: string; display: string | null }[],
    lastModified: Date,
  ): Promise<{ group: ScimGroupRecord; added: string[]; unknown: string[] } | null> {
    const result = await this.executor.db.execute(groupMemberAddQuery(teamId, groupId, members, lastModified))
    const [row] = (result as { rows: (Record<string, unknown> & { added: string[] | null; unknown: string[] | null })[] }).rows
    if (!row) return null
    const group = toGroupRecord({
      teamId,
      id: row.id as string,
      displayName: row.display_name as string,
      externalId: row.external_id as string | null,
      doc: typeof row.doc === 'string' ? (JSON.parse(row.doc) as unknown) : row.doc,
      version: Number(row.version),
      createdAt: new Date(row.created_at as string | Date),
      lastModified: new Date(row.last_modified as string | Date),
    })
    return { group, added: row.added ?? [], unknown: row.unknown ?? [] }
  }

  async removeGroupMembers(
    teamId: string,
    groupId: string,
    which: { only: readonly string[] } | { allBut: readonly string[] },
  ): Promise<string[]> {
    if ('only' in which && which.only.length === 0) return []
    const selection =
      'only' in which
        ? sql`${scimGroupMembers.userId} = any(${sql.param(which.only)}::uuid[])`
        : which.allBut.length > 0
          ? sql`not (${scimGroupMembers.userId} = any(${sql.param(which.allBut)}::uuid[]))`
          : undefined
    const rows = await this.executor.db
      .delete(scimGroupMembers)
      .where(and(eq(scimGroupMembers.teamId, teamId), eq(scimGroupMembers.groupId, groupId), selection))
      .returning({ userId: scimGroupMembers.userId })
    return rows.map((row) => row.userId)
  }
}

/**
 * One PATCH adding members (what Okta and Entra send one member at a time), as one statement whose
 * cost does not grow with the group: the version bump (a primary-key update, which takes the group's
 * row lock first, so concurrent PATCHes of the group still take turns), a primary-key probe of
 * scim_users per new member, and the member rows (ON CONFLICT DO NOTHING for members already there).
 * The group's lock is held from here to the commit: one statement and the audit entry, where the
 * general path held it across four statements. Nothing is added unless every id is a User of the team.
 */
export function groupMemberAddQuery(
  teamId: string,
  groupId: string,
  members: readonly { userId: string; display: string | null }[],
  lastModified: Date,
): SQL {
  const ids = sql.param(members.map((m) => m.userId))
  return sql`
    with grp as (
      update ${scimGroups} set version = ${scimGroups.version} + 1, last_modified = ${lastModified.toISOString()}::timestamptz
      where ${scimGroups.teamId} = ${teamId} and ${scimGroups.id} = ${groupId}::uuid
      returning id, display_name, external_id, doc, version, created_at, last_modified
    ),
    unknown as (
      select m.id from unnest(${ids}::uuid[]) as m(id)
      where not exists (select 1 from ${scimUsers} where ${scimUsers.teamId} = ${teamId} and ${scimUsers.id} = m.id)
    ),
    added as (
      insert into ${scimGroupMembers} (team_id, group_id, user_id, display)
      select ${teamId}, ${groupId}::uuid, m.user_id, m.display
      from unnest(${ids}::uuid[], ${sql.param(members.map((m) => m.display))}::text[]) as m(user_id, display)
      where exists (select 1 from grp) and not exists (select 1 from unknown)
      on conflict do nothing
      returning user_id
    )
    select grp.*, array(select user_id::text from added) as added, array(select id::text from unknown) as unknown from grp`
}

function toGroupRecord(row: typeof scimGroups.$inferSelect): ScimGroupRecord {
  return {
    id: row.id,
    displayName: row.displayName,
    externalId: row.externalId,
    doc: row.doc as Record<string, unknown>,
    version: row.version,
    created: row.createdAt,
    lastModified: row.lastModified,
  }
}
