import type { GroupMemberRow, ListQuery, ListResult, ScimGroupRecord } from './records.js'

/** A team's SCIM Groups (RFC 7643 §4.2) and their members, each a User of the same team. */
export interface GroupStore {
  getGroup(teamId: string, id: string, options?: { lock?: boolean }): Promise<ScimGroupRecord | null>
  insertGroup(teamId: string, group: ScimGroupRecord): Promise<void>
  /** Writes `group` if the stored version is still `expectedVersion`; false when it moved on. */
  updateGroup(teamId: string, group: ScimGroupRecord, expectedVersion: number): Promise<boolean>
  deleteGroup(teamId: string, id: string): Promise<boolean>
  listGroups(teamId: string, query: ListQuery): Promise<ListResult<ScimGroupRecord>>
  /** Members of each group, in insertion order; undefined when they are more than `limit` in all (counted, not read). */
  listGroupMembers(teamId: string, groupIds: readonly string[], limit?: number): Promise<Map<string, GroupMemberRow[]> | undefined>
  /** The groups each of `userIds` belongs to (RFC 7643 §4.1.2 `groups`); undefined when more than `limit` in all. */
  groupsOfUsers(teamId: string, userIds: readonly string[], limit?: number): Promise<Map<string, GroupMemberRow[]> | undefined>
  /** Adds members that are not there yet (an existing member keeps its display); returns the User ids added. */
  addGroupMembers(teamId: string, groupId: string, members: readonly { userId: string; display: string | null }[]): Promise<string[]>
  /**
   * A PATCH that only adds members, in one statement: bumps the group's version (and so locks it,
   * serialising concurrent PATCHes of the group) and adds those of `members` that are not members
   * yet, if every one of them is a User of the team. Null when the group does not exist (nothing is
   * written); otherwise the group as saved, the User ids added, and the ids that are not Users of
   * the team (when there are any, nothing was added and the caller rolls the version back with the
   * transaction).
   */
  addGroupMembersAndBump(
    teamId: string,
    groupId: string,
    members: readonly { userId: string; display: string | null }[],
    lastModified: Date,
  ): Promise<{ group: ScimGroupRecord; added: string[]; unknown: string[] } | null>
  /** Removes the listed members (`only`), or every member not listed (`allBut`); returns the User ids removed. */
  removeGroupMembers(teamId: string, groupId: string, which: { only: readonly string[] } | { allBut: readonly string[] }): Promise<string[]>
}
