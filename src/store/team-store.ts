import type { ChangeEventInput } from '../events/change-event.js'
import type { AttrPath, Filter } from '../scim/filter/ast.js'

/*
 * The ports the domain (provisioning, admin, auth) uses. Nothing here knows drizzle or SQL; the one
 * implementation is store/pg. Every call on team data takes teamId first. The exceptions are named
 * for what they are: lookups by a global key (an account's email, a token's hash) that exist to
 * enforce Compound's rules before a team is known.
 */

export type Role = 'owner' | 'admin' | 'member'
export type SsoProtocol = 'saml' | 'oidc'

export interface Team {
  readonly id: string
  readonly name: string
}

export interface Account {
  readonly id: string
  readonly email: string
  readonly displayName: string | null
}

export interface Member extends Account {
  readonly role: Role
}

export interface ScimConnection {
  readonly teamId: string
  readonly endpointId: string
  readonly createdAt: Date
  readonly rotatedAt: Date | null
  readonly lastUsedAt: Date | null
  readonly disabledAt: Date | null
}

/** What bearer verification needs, in one lookup. */
export interface ConnectionCredential {
  readonly teamId: string
  readonly endpointId: string
  readonly tokenHash: string
  readonly lastUsedAt: Date | null
  readonly ssoActive: boolean
}

export interface ConnectionWithUsers {
  readonly credential: ConnectionCredential
  readonly users: ListResult<ScimUserRecord> | undefined
}

export interface AuditEventInput {
  readonly source: 'admin' | 'scim'
  readonly action: string
  readonly outcome: string
  readonly endpointId?: string | null
  readonly actorId?: string | null
  readonly resourceId?: string | null
  readonly accountId?: string | null
  readonly detail?: string | null
}

export interface AuditEvent extends AuditEventInput {
  readonly id: number
  readonly at: Date
}

/** A SCIM User as stored: `doc` holds the RFC 7643 attributes without id and meta. */
export interface ScimUserRecord {
  readonly id: string
  readonly userName: string
  readonly externalId: string | null
  /** Null: unassigned (a PATCH removed it), which is not deprovisioned; only false is. */
  readonly active: boolean | null
  readonly accountId: string
  readonly doc: Record<string, unknown>
  readonly version: number
  readonly created: Date
  readonly lastModified: Date
}

/** A SCIM Group as stored: `doc` holds displayName and externalId; members are separate rows. */
export interface ScimGroupRecord {
  readonly id: string
  readonly displayName: string
  readonly externalId: string | null
  readonly doc: Record<string, unknown>
  readonly version: number
  readonly created: Date
  readonly lastModified: Date
}

/** A group member as rendered: the User's id and userName. */
export interface GroupMemberRow {
  readonly value: string
  readonly display: string
}

export interface ListQuery {
  readonly filter?: Filter | undefined
  /** 1-based (RFC 7644 §3.4.2.4). */
  readonly startIndex: number
  readonly count: number
  /** RFC 7644 §3.4.2.3; ties are broken by id. Without it: creation order. */
  readonly sortBy?: AttrPath | undefined
  readonly descending?: boolean | undefined
  /**
   * Cursor paging (RFC 9865): the page after this id in id order (null: the first page). Keyset
   * paging on the primary key costs the same anywhere in the set; startIndex is then ignored.
   */
  readonly afterId?: string | null | undefined
}

export interface ListResult<T> {
  readonly totalResults: number
  readonly resources: readonly T[]
  /** Cursor paging: the id to continue after, when more resources follow. */
  readonly nextAfterId?: string | undefined
}

/** A unique rule that a write would break, named by the rule rather than by a constraint. */
export type ConflictRule =
  'accountEmail' | 'oneTeamPerAccount' | 'oneOwnerPerTeam' | 'oneEnabledConnection' | 'userName' | 'groupDisplayName'

export class StoreConflict extends Error {
  constructor(
    readonly rule: ConflictRule,
    options?: { cause?: unknown },
  ) {
    super(`unique rule broken: ${rule}`, options)
    this.name = 'StoreConflict'
  }
}

/** A statement ran past the statement timeout (STATEMENT_TIMEOUT_MS) and was cancelled. */
export class StoreTimeout extends Error {
  constructor(options?: { cause?: unknown }) {
    super('statement timeout', options)
    this.name = 'StoreTimeout'
  }
}

/** FILTER_MATCH_BUDGET's default: a full scan of this many users, or a count of as many index entries, stays well under a second. */
export const DEFAULT_FILTER_MATCH_BUDGET = 50_000

/**
 * A list filter refused before it runs: on a large team no index narrows it, or it matches more
 * rows than the budget. `detail` names the part of the filter and how to narrow it.
 */
export class StoreFilterTooBroad extends Error {
  constructor(readonly detail: string) {
    super(detail)
    this.name = 'StoreFilterTooBroad'
  }
}

/** The database could not be reached or did not answer in time: a 503, never a 404. */
export class StoreUnavailable extends Error {
  constructor(options?: { cause?: unknown }) {
    super('database unavailable', options)
    this.name = 'StoreUnavailable'
  }
}

export interface TeamStore {
  /** Runs `work` in one transaction; the store it receives sees and writes only inside it. */
  transaction<T>(work: (tx: TeamStore) => Promise<T>): Promise<T>

  getTeam(teamId: string): Promise<Team | null>
  /** Locks the team row for the rest of the transaction (serialises admin actions on one team). */
  lockTeam(teamId: string): Promise<Team | null>
  upsertTeam(teamId: string, name: string): Promise<{ created: boolean }>

  /** Global by nature: Compound accounts are shared across teams and found by email. */
  findAccountByEmail(email: string): Promise<Account | null>
  getAccount(accountId: string): Promise<Account | null>
  createAccount(input: { email: string; displayName: string | null }): Promise<Account>
  updateAccount(accountId: string, input: { email?: string; displayName?: string | null }): Promise<void>

  /** Which team (if any) an account belongs to: the one-team-per-account rule needs it. */
  /** With `lock`, the membership row stays locked for the transaction: it cannot move to another team meanwhile. */
  findMembershipOfAccount(accountId: string, options?: { lock?: boolean }): Promise<{ teamId: string; role: Role } | null>
  addMember(teamId: string, accountId: string, role: Role): Promise<void>
  setMemberRole(teamId: string, accountId: string, role: Role): Promise<void>
  removeMember(teamId: string, accountId: string): Promise<boolean>
  getOwner(teamId: string): Promise<Account | null>
  listMembers(teamId: string): Promise<Member[]>

  setSso(teamId: string, protocol: SsoProtocol): Promise<void>
  removeSso(teamId: string): Promise<boolean>
  getSso(teamId: string): Promise<{ protocol: SsoProtocol; active: boolean } | null>

  getEnabledConnection(teamId: string): Promise<ScimConnection | null>
  getLatestConnection(teamId: string): Promise<ScimConnection | null>
  insertConnection(teamId: string, endpointId: string, tokenHash: string): Promise<ScimConnection>
  rotateConnectionToken(teamId: string, endpointId: string, tokenHash: string): Promise<ScimConnection>
  disableConnection(teamId: string, endpointId: string): Promise<void>
  /**
   * Global by nature: the token is all a SCIM request carries until it is verified. With
   * `usersQuery`, also the token's team's users matching it, in the same round trip, when the store
   * can answer it whole that way (the eq lookups IdPs make before every write, and the first page of
   * the unfiltered list: Okta's connection test); `users` is undefined otherwise. The caller shows them only once the credential is verified.
   */
  findConnectionByTokenHash(tokenHash: string, usersQuery?: ListQuery): Promise<ConnectionWithUsers | null>
  touchConnection(teamId: string, endpointId: string): Promise<void>

  appendEvent(teamId: string, event: AuditEventInput): Promise<void>
  /**
   * The audit entry of a write that changed something, and its change events for the feed and
   * webhooks (issue #17), in one statement of the caller's transaction: the events commit or roll
   * back with the change.
   */
  recordChanges(teamId: string, audit: AuditEventInput, changes: readonly ChangeEventInput[]): Promise<void>
  listEvents(teamId: string, page: { limit: number; beforeId?: number | undefined }): Promise<AuditEvent[]>
  /**
   * Global by nature, like findAccountByEmail: retention (AUDIT_RETENTION_DAYS) applies to every
   * team's log alike. Deletes the events older than `olderThan`, team by team, at most `batchSize` rows
   * per statement, yielding between statements, and returns how many went. One process prunes at a
   * time: when another one is pruning, this call stops early (the other does the same work). It also
   * stops between statements once `signal` is aborted (shutdown).
   */
  pruneAuditEvents(olderThan: Date, batchSize: number, signal?: AbortSignal): Promise<number>

  getUser(teamId: string, id: string, options?: { lock?: boolean }): Promise<ScimUserRecord | null>
  findUserByUserName(teamId: string, userName: string, options?: { lock?: boolean }): Promise<ScimUserRecord | null>
  /** Whether another SCIM user of the team, not deprovisioned (active true or unassigned), stands for the same account. */
  hasOtherActiveUser(teamId: string, accountId: string, exceptUserId: string): Promise<boolean>
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

  getGroup(teamId: string, id: string, options?: { lock?: boolean }): Promise<ScimGroupRecord | null>
  insertGroup(teamId: string, group: ScimGroupRecord): Promise<void>
  updateGroup(teamId: string, group: ScimGroupRecord, expectedVersion: number): Promise<boolean>
  deleteGroup(teamId: string, id: string): Promise<boolean>
  listGroups(teamId: string, query: ListQuery): Promise<ListResult<ScimGroupRecord>>
  /** Members of each group, in insertion order; undefined when they are more than `limit` in all (counted, not read). */
  listGroupMembers(teamId: string, groupIds: readonly string[], limit?: number): Promise<Map<string, GroupMemberRow[]> | undefined>
  /** The groups each of `userIds` belongs to (RFC 7643 §4.1.2 `groups`); undefined when more than `limit` in all. */
  groupsOfUsers(teamId: string, userIds: readonly string[], limit?: number): Promise<Map<string, GroupMemberRow[]> | undefined>
  /** The ids among `userIds` that are SCIM users of the team. */
  existingUserIds(teamId: string, userIds: readonly string[]): Promise<Set<string>>
  /** Adds members that are not there yet (an existing member keeps its display); returns how many were added. */
  addGroupMembers(teamId: string, groupId: string, members: readonly { userId: string; display: string | null }[]): Promise<number>
  /**
   * A PATCH that only adds members, in one statement: bumps the group's version (and so locks it,
   * serialising concurrent PATCHes of the group) and adds those of `members` that are not members
   * yet, if every one of them is a User of the team. Null when the group does not exist (nothing is
   * written); otherwise the group as saved, how many were added, and the ids that are not Users of
   * the team (when there are any, nothing was added and the caller rolls the version back with the
   * transaction).
   */
  addGroupMembersAndBump(
    teamId: string,
    groupId: string,
    members: readonly { userId: string; display: string | null }[],
    lastModified: Date,
  ): Promise<{ group: ScimGroupRecord; added: number; unknown: string[] } | null>
  /** Removes the listed members (`only`), or every member not listed (`allBut`); returns how many. */
  removeGroupMembers(teamId: string, groupId: string, which: { only: readonly string[] } | { allBut: readonly string[] }): Promise<number>

  getSetting(key: string): Promise<string | null>
  /** Stores the value unless the key exists; returns the value that is stored afterwards. */
  putSettingIfAbsent(key: string, value: string): Promise<string>
}
