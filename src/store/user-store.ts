import type { ListQuery, ListResult, ScimUserRecord } from './records.js'

/** A team's SCIM Users (RFC 7643 §4.1), each standing for a Compound account. */
export interface UserStore {
  getUser(teamId: string, id: string, options?: { lock?: boolean }): Promise<ScimUserRecord | null>
  findUserByUserName(teamId: string, userName: string, options?: { lock?: boolean }): Promise<ScimUserRecord | null>
  /** Whether another SCIM user of the team, not deprovisioned (active true or unassigned), stands for the same account. */
  hasOtherActiveUser(teamId: string, accountId: string, exceptUserId: string): Promise<boolean>
  /** The ids among `userIds` that are SCIM users of the team. */
  existingUserIds(teamId: string, userIds: readonly string[]): Promise<Set<string>>
  insertUser(teamId: string, user: ScimUserRecord): Promise<void>
  /**
   * A create's common case in one statement: when the team has no user with this userName (in any
   * state) and no account has this email, inserts the account, its Member membership of the team and
   * the user (active), and returns the new account's id. Otherwise writes nothing and returns null,
   * and the caller takes the general path (reactivation, an existing account, a conflict).
   */
  insertUserWithNewAccount(
    teamId: string,
    user: Omit<ScimUserRecord, 'accountId'>,
    account: { email: string; displayName: string | null },
  ): Promise<string | null>
  /** Writes `user` if the stored version is still `expectedVersion`; false when it moved on. */
  updateUser(teamId: string, user: ScimUserRecord, expectedVersion: number): Promise<boolean>
  deleteUser(teamId: string, id: string): Promise<boolean>
  listUsers(teamId: string, query: ListQuery): Promise<ListResult<ScimUserRecord>>
}
