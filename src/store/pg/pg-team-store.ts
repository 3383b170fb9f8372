import { and, desc, eq, isNull, lt, sql, type SQL } from 'drizzle-orm'
import type { Db } from './database.js'
import { caseFolded } from './case-folded.js'
import { translateError } from './errors.js'
import { groupListQuery, groupMembersQuery, groupsOfUsersQuery } from './group-queries.js'
import { eqLookupPage, firstPageQuery, preparedLookups, type PreparedLookups } from './prepared-lookups.js'
import {
  accounts,
  auditEvents,
  scimConnections,
  scimGroupMembers,
  scimGroups,
  scimUsers,
  serviceSettings,
  ssoConfigs,
  teamMemberships,
  teams,
} from './schema.js'
import { userListQuery } from './user-queries.js'
import { pruneTeamLog, type TeamLog } from './team-log-prune.js'
import { recordChangesQuery } from './pg-event-store.js'
import type { ChangeEventInput } from '../../events/change-event.js'
import { foldCase } from '../../scim/core/case-fold.js'
import {
  DEFAULT_FILTER_MATCH_BUDGET,
  type Account,
  type AuditEvent,
  type AuditEventInput,
  type ConnectionWithUsers,
  type ListQuery,
  type ListResult,
  type Member,
  type GroupMemberRow,
  type Role,
  type ScimConnection,
  type ScimGroupRecord,
  type ScimUserRecord,
  type SsoProtocol,
  type Team,
  type TeamStore,
} from '../team-store.js'

export type Executor = Db | Parameters<Parameters<Db['transaction']>[0]>[0]

/**
 * The audit log as pruning sees it. Its lock key is fixed for good, like the migrations' lock, since
 * processes of different versions must exclude each other (ASCII "scimprun").
 */
export const AUDIT_LOG: TeamLog = {
  table: auditEvents,
  teamId: auditEvents.teamId,
  id: auditEvents.id,
  at: auditEvents.at,
  lockKey: '8314605255814968686',
}

export interface PgTeamStoreOptions {
  /** Named prepared statements for the prepared lookups (prepared-lookups.ts); false behind PgBouncer in transaction mode. */
  readonly preparedStatements?: boolean
  /** The most users a list filter may match (or scan, on a team this small or smaller); see user-queries.ts. */
  readonly filterMatchBudget?: number
  /** Called after a transaction that recorded change events commits (wakes the feed's long polls and the deliverer). */
  readonly onChangesCommitted?: () => void
}

/** The PostgreSQL/PGlite TeamStore: the only code that touches drizzle. */
export class PgTeamStore implements TeamStore {
  private lookupStatements: PreparedLookups | undefined
  private readonly namedStatements: boolean

  constructor(
    private readonly db: Executor,
    private readonly inTransaction = false,
    private readonly options: PgTeamStoreOptions = {},
  ) {
    this.namedStatements = !inTransaction && options.preparedStatements !== false
  }

  /** The prepared lookups, built on first use (a transaction's store rarely needs them). */
  private get lookups(): PreparedLookups {
    this.lookupStatements ??= preparedLookups(this.db, this.namedStatements)
    return this.lookupStatements
  }

  /** Every call goes through here so driver errors leave the store as domain errors. */
  private async run<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query()
    } catch (error) {
      throw translateError(error)
    }
  }

  transaction<T>(work: (tx: TeamStore) => Promise<T>): Promise<T> {
    // Inside a transaction already: PGlite deadlocks on a second one, and one is all we need.
    if (this.inTransaction) return work(this)
    let changed = false
    return this.run(() =>
      (this.db as Db).transaction((tx) => {
        const store = new PgTeamStore(tx, true, this.options)
        store.changesRecorded = () => (changed = true)
        return work(store)
      }),
    ).then((result) => {
      if (changed) this.options.onChangesCommitted?.()
      return result
    })
  }

  /** Set on a transaction's store: its transaction recorded change events. */
  private changesRecorded: (() => void) | undefined

  getTeam(teamId: string): Promise<Team | null> {
    return this.run(async () => {
      const [row] = await this.db.select({ id: teams.id, name: teams.name }).from(teams).where(eq(teams.id, teamId))
      return row ?? null
    })
  }

  lockTeam(teamId: string): Promise<Team | null> {
    return this.run(async () => {
      const [row] = await this.db.select({ id: teams.id, name: teams.name }).from(teams).where(eq(teams.id, teamId)).for('update')
      return row ?? null
    })
  }

  upsertTeam(teamId: string, name: string): Promise<{ created: boolean }> {
    return this.run(async () => {
      // xmax = 0 only for a freshly inserted row: tells created from updated in one statement.
      const [row] = await this.db
        .insert(teams)
        .values({ id: teamId, name })
        .onConflictDoUpdate({ target: teams.id, set: { name, updatedAt: sql`now()` } })
        .returning({ created: sql<boolean>`(xmax = 0)` })
      return { created: Boolean(row?.created) }
    })
  }

  findAccountByEmail(email: string): Promise<Account | null> {
    return this.run(async () => {
      const [row] = await accountByEmailQuery(this.db, email)
      return row ?? null
    })
  }

  getAccount(accountId: string): Promise<Account | null> {
    return this.run(async () => {
      const [row] = await this.db
        .select({ id: accounts.id, email: accounts.email, displayName: accounts.displayName })
        .from(accounts)
        .where(eq(accounts.id, accountId))
      return row ?? null
    })
  }

  createAccount(input: { email: string; displayName: string | null }): Promise<Account> {
    return this.run(async () => {
      const [row] = await this.db
        .insert(accounts)
        .values({ email: input.email, displayName: input.displayName })
        .returning({ id: accounts.id, email: accounts.email, displayName: accounts.displayName })
      return row!
    })
  }

  updateAccount(accountId: string, input: { email?: string; displayName?: string | null }): Promise<void> {
    return this.run(async () => {
      await this.db
        .update(accounts)
        .set({ ...input, updatedAt: sql`now()` })
        .where(eq(accounts.id, accountId))
    })
  }

  findMembershipOfAccount(accountId: string, options: { lock?: boolean } = {}): Promise<{ teamId: string; role: Role } | null> {
    return this.run(async () => {
      const query = this.db
        .select({ teamId: teamMemberships.teamId, role: teamMemberships.role })
        .from(teamMemberships)
        .where(eq(teamMemberships.accountId, accountId))
      const [row] = options.lock ? await query.for('update') : await query
      return row ?? null
    })
  }

  addMember(teamId: string, accountId: string, role: Role): Promise<void> {
    return this.run(async () => {
      await this.db.insert(teamMemberships).values({ teamId, accountId, role })
    })
  }

  setMemberRole(teamId: string, accountId: string, role: Role): Promise<void> {
    return this.run(async () => {
      await this.db
        .update(teamMemberships)
        .set({ role })
        .where(and(eq(teamMemberships.teamId, teamId), eq(teamMemberships.accountId, accountId)))
    })
  }

  removeMember(teamId: string, accountId: string): Promise<boolean> {
    return this.run(async () => {
      const rows = await this.db
        .delete(teamMemberships)
        .where(and(eq(teamMemberships.teamId, teamId), eq(teamMemberships.accountId, accountId)))
        .returning({ accountId: teamMemberships.accountId })
      return rows.length > 0
    })
  }

  getOwner(teamId: string): Promise<Account | null> {
    return this.run(async () => {
      const [row] = await this.db
        .select({ id: accounts.id, email: accounts.email, displayName: accounts.displayName })
        .from(teamMemberships)
        .innerJoin(accounts, eq(accounts.id, teamMemberships.accountId))
        .where(and(eq(teamMemberships.teamId, teamId), eq(teamMemberships.role, 'owner')))
      return row ?? null
    })
  }

  listMembers(teamId: string): Promise<Member[]> {
    return this.run(() =>
      this.db
        .select({ id: accounts.id, email: accounts.email, displayName: accounts.displayName, role: teamMemberships.role })
        .from(teamMemberships)
        .innerJoin(accounts, eq(accounts.id, teamMemberships.accountId))
        .where(eq(teamMemberships.teamId, teamId))
        .orderBy(teamMemberships.createdAt, accounts.id),
    )
  }

  setSso(teamId: string, protocol: SsoProtocol): Promise<void> {
    return this.run(async () => {
      await this.db
        .insert(ssoConfigs)
        .values({ teamId, protocol, active: true })
        .onConflictDoUpdate({ target: ssoConfigs.teamId, set: { protocol, active: true, updatedAt: sql`now()` } })
    })
  }

  removeSso(teamId: string): Promise<boolean> {
    return this.run(async () => {
      const rows = await this.db
        .update(ssoConfigs)
        .set({ active: false, updatedAt: sql`now()` })
        .where(and(eq(ssoConfigs.teamId, teamId), eq(ssoConfigs.active, true)))
        .returning({ teamId: ssoConfigs.teamId })
      return rows.length > 0
    })
  }

  getSso(teamId: string): Promise<{ protocol: SsoProtocol; active: boolean } | null> {
    return this.run(async () => {
      const [row] = await this.db
        .select({ protocol: ssoConfigs.protocol, active: ssoConfigs.active })
        .from(ssoConfigs)
        .where(eq(ssoConfigs.teamId, teamId))
      return row ?? null
    })
  }

  private connectionColumns = {
    teamId: scimConnections.teamId,
    endpointId: scimConnections.endpointId,
    createdAt: scimConnections.createdAt,
    rotatedAt: scimConnections.rotatedAt,
    lastUsedAt: scimConnections.lastUsedAt,
    disabledAt: scimConnections.disabledAt,
  }

  getEnabledConnection(teamId: string): Promise<ScimConnection | null> {
    return this.run(async () => {
      const [row] = await this.db
        .select(this.connectionColumns)
        .from(scimConnections)
        .where(and(eq(scimConnections.teamId, teamId), isNull(scimConnections.disabledAt)))
      return row ?? null
    })
  }

  getLatestConnection(teamId: string): Promise<ScimConnection | null> {
    return this.run(async () => {
      const [row] = await this.db
        .select(this.connectionColumns)
        .from(scimConnections)
        .where(eq(scimConnections.teamId, teamId))
        .orderBy(desc(scimConnections.createdAt))
        .limit(1)
      return row ?? null
    })
  }

  insertConnection(teamId: string, endpointId: string, tokenHash: string): Promise<ScimConnection> {
    return this.run(async () => {
      const [row] = await this.db.insert(scimConnections).values({ teamId, endpointId, tokenHash }).returning(this.connectionColumns)
      return row!
    })
  }

  rotateConnectionToken(teamId: string, endpointId: string, tokenHash: string): Promise<ScimConnection> {
    return this.run(async () => {
      const [row] = await this.db
        .update(scimConnections)
        .set({ tokenHash, rotatedAt: sql`now()` })
        .where(and(eq(scimConnections.teamId, teamId), eq(scimConnections.endpointId, endpointId)))
        .returning(this.connectionColumns)
      return row!
    })
  }

  disableConnection(teamId: string, endpointId: string): Promise<void> {
    return this.run(async () => {
      // The hash is overwritten, not only flagged: a revoked token can never match again.
      await this.db
        .update(scimConnections)
        .set({ disabledAt: sql`now()`, tokenHash: sql`'revoked:' || ${scimConnections.endpointId}` })
        .where(and(eq(scimConnections.teamId, teamId), eq(scimConnections.endpointId, endpointId)))
    })
  }

  findConnectionByTokenHash(tokenHash: string, usersQuery?: ListQuery): Promise<ConnectionWithUsers | null> {
    return this.run(async () => {
      const eqLookup = usersQuery && eqLookupPage(usersQuery)
      const firstPage = usersQuery !== undefined && firstPageQuery(usersQuery)
      if (!eqLookup && !firstPage) {
        const [credential] = await this.lookups.tokenLookup.execute({ tokenHash })
        return credential ? { credential, users: undefined } : null
      }
      const paged = eqLookup ? undefined : await this.lookups.tokenAndFirstPage.execute({ tokenHash, limit: usersQuery.count })
      const rows =
        paged ?? (await this.lookups.tokenAnd[eqLookup!.lookup].execute({ tokenHash, value: eqLookup!.value, limit: usersQuery.count + 1 }))
      const [first] = rows
      if (!first) return null
      const { teamId, endpointId, tokenHash: storedHash, lastUsedAt, ssoActive } = first
      // The lateral join's row without a match has null user columns (id is never null otherwise).
      const matches = rows.flatMap((row) => (row.id === null ? [] : [toRecord(row as UserRow)]))
      return {
        credential: { teamId, endpointId, tokenHash: storedHash, lastUsedAt, ssoActive },
        // The first page's total is the team's counter, read in the same statement.
        users: paged ? { totalResults: paged[0]!.total, resources: matches } : wholeResult(matches, usersQuery.count),
      }
    })
  }

  touchConnection(teamId: string, endpointId: string): Promise<void> {
    return this.run(async () => {
      await this.db
        .update(scimConnections)
        .set({ lastUsedAt: sql`now()` })
        .where(and(eq(scimConnections.teamId, teamId), eq(scimConnections.endpointId, endpointId)))
    })
  }

  appendEvent(teamId: string, event: AuditEventInput): Promise<void> {
    return this.run(async () => {
      await this.db.insert(auditEvents).values({
        teamId,
        source: event.source,
        action: event.action,
        outcome: event.outcome,
        endpointId: event.endpointId ?? null,
        actorId: event.actorId ?? null,
        resourceId: event.resourceId ?? null,
        accountId: event.accountId ?? null,
        detail: event.detail ?? null,
      })
    })
  }

  recordChanges(teamId: string, audit: AuditEventInput, changes: readonly ChangeEventInput[]): Promise<void> {
    if (changes.length === 0) return this.appendEvent(teamId, audit)
    return this.run(async () => {
      await this.db.execute(recordChangesQuery(teamId, audit, changes))
      this.changesRecorded?.()
      if (!this.inTransaction) this.options.onChangesCommitted?.()
    })
  }

  listEvents(teamId: string, page: { limit: number; beforeId?: number | undefined }): Promise<AuditEvent[]> {
    return this.run(async () => {
      const rows = await this.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.teamId, teamId), page.beforeId === undefined ? undefined : lt(auditEvents.id, page.beforeId)))
        .orderBy(desc(auditEvents.id))
        .limit(page.limit)
      return rows.map(({ teamId: _team, ...event }) => event)
    })
  }

  /**
   * audit_events has no index on `at` (every index of team data leads with team_id, DESIGN.md §2, and
   * one more index would cost every audited write). Its primary key (team_id, id) serves instead: ids
   * come from one identity sequence, so a team's events in id order are in time order (up to the few
   * seconds a transaction can run between its now() and its insert). Each statement reads a team's
   * first `batchSize` events along the key and deletes those older than the cutoff; fewer deleted
   * than read means the team's old events are gone. A straggler behind a newer event waits for the
   * next run. The teams to visit are those whose first event is old: one key probe per team.
   */
  pruneAuditEvents(olderThan: Date, batchSize: number, signal?: AbortSignal): Promise<number> {
    return this.run(() => pruneTeamLog(this.db, AUDIT_LOG, olderThan, batchSize, signal))
  }

  getUser(teamId: string, id: string, options: { lock?: boolean } = {}): Promise<ScimUserRecord | null> {
    return this.run(async () => {
      const query = this.db
        .select()
        .from(scimUsers)
        .where(and(eq(scimUsers.teamId, teamId), eq(scimUsers.id, id)))
      const [row] = options.lock ? await query.for('update') : await query
      return row ? toRecord(row) : null
    })
  }

  findUserByUserName(teamId: string, userName: string, options: { lock?: boolean } = {}): Promise<ScimUserRecord | null> {
    return this.run(async () => {
      const query = userByUserNameQuery(this.db, teamId, userName)
      const [row] = options.lock ? await query.for('update') : await query
      return row ? toRecord(row) : null
    })
  }

  hasOtherActiveUser(teamId: string, accountId: string, exceptUserId: string): Promise<boolean> {
    return this.run(async () => {
      const [row] = await this.db
        .select({ id: scimUsers.id })
        .from(scimUsers)
        .where(
          and(
            eq(scimUsers.teamId, teamId),
            eq(scimUsers.accountId, accountId),
            sql`${scimUsers.active} is not false`,
            sql`${scimUsers.id} <> ${exceptUserId}::uuid`,
          ),
        )
        .limit(1)
      return row !== undefined
    })
  }

  insertUser(teamId: string, user: ScimUserRecord): Promise<void> {
    return this.run(async () => {
      await this.db.insert(scimUsers).values({ teamId, ...fromRecord(user), createdAt: user.created })
    })
  }

  insertUserWithNewAccount(
    teamId: string,
    user: Omit<ScimUserRecord, 'accountId'>,
    account: { email: string; displayName: string | null },
  ): Promise<string | null> {
    return this.run(async () => {
      const result = await this.db.execute(newMemberUserQuery(teamId, user, account))
      const [row] = (result as { rows: { account_id: string }[] }).rows
      return row?.account_id ?? null
    })
  }

  updateUser(teamId: string, user: ScimUserRecord, expectedVersion: number): Promise<boolean> {
    return this.run(async () => {
      const rows = await this.db
        .update(scimUsers)
        .set(fromRecord(user))
        .where(and(eq(scimUsers.teamId, teamId), eq(scimUsers.id, user.id), eq(scimUsers.version, expectedVersion)))
        .returning({ id: scimUsers.id })
      return rows.length > 0
    })
  }

  deleteUser(teamId: string, id: string): Promise<boolean> {
    return this.run(async () => {
      const rows = await this.db
        .delete(scimUsers)
        .where(and(eq(scimUsers.teamId, teamId), eq(scimUsers.id, id)))
        .returning({ id: scimUsers.id })
      return rows.length > 0
    })
  }

  listUsers(teamId: string, query: ListQuery): Promise<ListResult<ScimUserRecord>> {
    return this.run(async () => {
      const eqLookup = eqLookupPage(query)
      if (eqLookup) {
        const whole = wholeResult(
          (await this.lookups[eqLookup.lookup].execute({ teamId, value: eqLookup.value, limit: query.count + 1 })).map(toRecord),
          query.count,
        )
        if (whole) return whole
      }
      const { totalResults, rows, nextAfterId } = await userListQuery(
        this.db,
        teamId,
        query,
        this.options.filterMatchBudget ?? DEFAULT_FILTER_MATCH_BUDGET,
      )
      return { totalResults, resources: rows.map(toRecord), nextAfterId }
    })
  }

  getGroup(teamId: string, id: string, options: { lock?: boolean } = {}): Promise<ScimGroupRecord | null> {
    return this.run(async () => {
      const query = this.db
        .select()
        .from(scimGroups)
        .where(and(eq(scimGroups.teamId, teamId), eq(scimGroups.id, id)))
      const [row] = options.lock ? await query.for('update') : await query
      return row ? toGroupRecord(row) : null
    })
  }

  insertGroup(teamId: string, group: ScimGroupRecord): Promise<void> {
    return this.run(async () => {
      await this.db.insert(scimGroups).values({ teamId, ...fromGroupRecord(group), createdAt: group.created })
    })
  }

  updateGroup(teamId: string, group: ScimGroupRecord, expectedVersion: number): Promise<boolean> {
    return this.run(async () => {
      const rows = await this.db
        .update(scimGroups)
        .set(fromGroupRecord(group))
        .where(and(eq(scimGroups.teamId, teamId), eq(scimGroups.id, group.id), eq(scimGroups.version, expectedVersion)))
        .returning({ id: scimGroups.id })
      return rows.length > 0
    })
  }

  deleteGroup(teamId: string, id: string): Promise<boolean> {
    return this.run(async () => {
      const rows = await this.db
        .delete(scimGroups)
        .where(and(eq(scimGroups.teamId, teamId), eq(scimGroups.id, id)))
        .returning({ id: scimGroups.id })
      return rows.length > 0
    })
  }

  listGroups(teamId: string, query: ListQuery): Promise<ListResult<ScimGroupRecord>> {
    return this.run(async () => {
      const { totalResults, rows, nextAfterId } = await groupListQuery(this.db, teamId, query)
      return { totalResults, resources: rows.map(toGroupRecord), nextAfterId }
    })
  }

  listGroupMembers(teamId: string, groupIds: readonly string[], limit?: number): Promise<Map<string, GroupMemberRow[]> | undefined> {
    return this.run(() => groupMembersQuery(this.db as Db, teamId, groupIds, limit))
  }

  groupsOfUsers(teamId: string, userIds: readonly string[], limit?: number): Promise<Map<string, GroupMemberRow[]> | undefined> {
    return this.run(() => groupsOfUsersQuery(this.db as Db, teamId, userIds, limit))
  }

  existingUserIds(teamId: string, userIds: readonly string[]): Promise<Set<string>> {
    return this.run(async () => {
      if (userIds.length === 0) return new Set<string>()
      const rows = await this.db
        .select({ id: scimUsers.id })
        .from(scimUsers)
        .where(and(eq(scimUsers.teamId, teamId), sql`${scimUsers.id} = any(${sql.param(userIds)}::uuid[])`))
      return new Set(rows.map((r) => r.id))
    })
  }

  addGroupMembers(teamId: string, groupId: string, members: readonly { userId: string; display: string | null }[]): Promise<number> {
    return this.run(async () => {
      if (members.length === 0) return 0
      // One statement for the whole list: ten thousand members is one round trip, not ten thousand.
      const result = await this.db.execute(sql`
        insert into ${scimGroupMembers} (team_id, group_id, user_id, display)
        select ${teamId}, ${groupId}::uuid, m.user_id, m.display
        from unnest(${sql.param(members.map((m) => m.userId))}::uuid[], ${sql.param(members.map((m) => m.display))}::text[]) as m(user_id, display)
        on conflict do nothing`)
      return affected(result)
    })
  }

  addGroupMembersAndBump(
    teamId: string,
    groupId: string,
    members: readonly { userId: string; display: string | null }[],
    lastModified: Date,
  ): Promise<{ group: ScimGroupRecord; added: number; unknown: string[] } | null> {
    return this.run(async () => {
      const result = await this.db.execute(groupMemberAddQuery(teamId, groupId, members, lastModified))
      const [row] = (result as { rows: (Record<string, unknown> & { added: number; unknown: string[] | null })[] }).rows
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
      return { group, added: Number(row.added), unknown: row.unknown ?? [] }
    })
  }

  removeGroupMembers(teamId: string, groupId: string, which: { only: readonly string[] } | { allBut: readonly string[] }): Promise<number> {
    return this.run(async () => {
      if ('only' in which && which.only.length === 0) return 0
      const selection =
        'only' in which
          ? sql`${scimGroupMembers.userId} = any(${sql.param(which.only)}::uuid[])`
          : which.allBut.length > 0
            ? sql`not (${scimGroupMembers.userId} = any(${sql.param(which.allBut)}::uuid[]))`
            : undefined
      const rows = await this.db
        .delete(scimGroupMembers)
        .where(and(eq(scimGroupMembers.teamId, teamId), eq(scimGroupMembers.groupId, groupId), selection))
        .returning({ userId: scimGroupMembers.userId })
      return rows.length
    })
  }

  getSetting(key: string): Promise<string | null> {
    return this.run(async () => {
      const [row] = await this.db.select().from(serviceSettings).where(eq(serviceSettings.key, key))
      return row?.value ?? null
    })
  }

  putSettingIfAbsent(key: string, value: string): Promise<string> {
    return this.run(async () => {
      await this.db.insert(serviceSettings).values({ key, value }).onConflictDoNothing()
      const [row] = await this.db.select().from(serviceSettings).where(eq(serviceSettings.key, key))
      return row!.value
    })
  }
}

/**
 * The account with this email, ASCII case folded: one probe of accounts_email_key, which is built on
 * the same expression (every create looks the account up; a scan of all accounts would grow with them).
 */
export function accountByEmailQuery(db: Executor, email: string) {
  return db
    .select({ id: accounts.id, email: accounts.email, displayName: accounts.displayName })
    .from(accounts)
    .where(eq(caseFolded(accounts.email), foldCase(email)))
}

/**
 * A new person's create as one statement (one round trip instead of six: the userName probe, the
 * account probe, then the account, the membership and the user, each chained on the one before so
 * that all or none is written). The userName probe is the one the general path makes, so a userName
 * held by an inactive user still goes there to be reactivated; an email some account holds leaves
 * the account insert empty (ON CONFLICT DO NOTHING on accounts_email_key, which also waits for a
 * concurrent creator of the same email to finish), and with it everything after. A concurrent create
 * of the same userName still meets scim_users_user_name_key (409 uniqueness, as before). The
 * membership is new with the account, so no other team can hold it. Triggers (the user counters)
 * fire as for a plain insert.
 */
export function newMemberUserQuery(
  teamId: string,
  user: Omit<ScimUserRecord, 'accountId'>,
  account: { email: string; displayName: string | null },
): SQL {
  return sql`
    with account as (
      insert into ${accounts} (email, display_name)
      select ${account.email}, ${account.displayName}
      where not exists (
        select 1 from ${scimUsers}
        where ${scimUsers.teamId} = ${teamId} and ${caseFolded(scimUsers.userName)} = ${foldCase(user.userName)}
      )
      on conflict do nothing
      returning id
    ),
    membership as (
      insert into ${teamMemberships} (team_id, account_id, role)
      select ${teamId}, id, 'member' from account
      returning account_id
    )
    insert into ${scimUsers} (team_id, id, user_name, external_id, active, account_id, doc, version, created_at, last_modified)
    select ${teamId}, ${user.id}::uuid, ${user.userName}, ${user.externalId}, ${user.active}, account_id, ${JSON.stringify(user.doc)}::jsonb,
      ${user.version}, ${user.created.toISOString()}::timestamptz, ${user.lastModified.toISOString()}::timestamptz
    from membership
    returning account_id`
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
      returning 1
    )
    select grp.*, (select count(*) from added)::int as added, array(select id::text from unknown) as unknown from grp`
}

/** The team's user with this userName, folded as scim_users_user_name_key is (one probe of it). */
export function userByUserNameQuery(db: Executor, teamId: string, userName: string) {
  return db
    .select()
    .from(scimUsers)
    .where(and(eq(scimUsers.teamId, teamId), eq(caseFolded(scimUsers.userName), foldCase(userName))))
}

/** Rows written by a statement: node-postgres says rowCount, PGlite affectedRows. */
function affected(result: unknown): number {
  const r = result as { rowCount?: number | null; affectedRows?: number }
  return r.rowCount ?? r.affectedRows ?? 0
}

type GroupRow = typeof scimGroups.$inferSelect

function toGroupRecord(row: GroupRow): ScimGroupRecord {
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

function fromGroupRecord(group: ScimGroupRecord) {
  return {
    id: group.id,
    displayName: group.displayName,
    externalId: group.externalId,
    doc: group.doc,
    version: group.version,
    lastModified: group.lastModified,
  }
}

/**
 * An eq lookup reads one row more than the page: a shorter answer is the whole result, so its
 * length is also the exact total; a longer one is left to the general list, which counts.
 */
function wholeResult(users: ScimUserRecord[], count: number): ListResult<ScimUserRecord> | undefined {
  return users.length <= count ? { totalResults: users.length, resources: users } : undefined
}

/** The columns toRecord reads (the prepared lookups select just these, prepared-lookups.ts). */
type UserRow = Omit<typeof scimUsers.$inferSelect, 'teamId'>

function toRecord(row: UserRow): ScimUserRecord {
  return {
    id: row.id,
    userName: row.userName,
    externalId: row.externalId,
    active: row.active,
    accountId: row.accountId,
    doc: row.doc as Record<string, unknown>,
    version: row.version,
    created: row.createdAt,
    lastModified: row.lastModified,
  }
}

function fromRecord(user: ScimUserRecord) {
  return {
    id: user.id,
    userName: user.userName,
    externalId: user.externalId,
    active: user.active,
    accountId: user.accountId,
    doc: user.doc,
    version: user.version,
    lastModified: user.lastModified,
  }
}
