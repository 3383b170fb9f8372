import { and, eq, sql, type SQL } from 'drizzle-orm'
import { caseFolded } from './case-folded.js'
import type { Executor, PgExecutor } from './executor.js'
import { eqLookupPage } from './prepared-lookups.js'
import { resourceRows } from './resource-rows.js'
import { readRows } from './row-lock.js'
import { accounts, scimUsers, teamMemberships } from './schema.js'
import { userListQuery } from './user-queries.js'
import { foldCase } from '../../scim/core/case-fold.js'
import type { ListQuery, ListResult, ScimUserRecord } from '../records.js'
import type { UserStore } from '../user-store.js'

const userRows = resourceRows(scimUsers, (user: ScimUserRecord) => ({
  id: user.id,
  userName: user.userName,
  externalId: user.externalId,
  active: user.active,
  accountId: user.accountId,
  doc: user.doc,
  version: user.version,
  lastModified: user.lastModified,
}))

/** A team's SCIM Users, in PostgreSQL or PGlite. */
export class PgUserStore implements UserStore {
  constructor(private readonly executor: PgExecutor) {}

  async getUser(teamId: string, id: string, options?: { lock?: boolean }): Promise<ScimUserRecord | null> {
    const row = await userRows.get(this.executor.db, teamId, id, options)
    return row ? toUserRecord(row) : null
  }

  async findUserByUserName(teamId: string, userName: string, options?: { lock?: boolean }): Promise<ScimUserRecord | null> {
    const [row] = await readRows(userByUserNameQuery(this.executor.db, teamId, userName), options)
    return row ? toUserRecord(row) : null
  }

  async hasOtherActiveUser(teamId: string, accountId: string, exceptUserId: string): Promise<boolean> {
    const [row] = await this.executor.db
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
  }

  async existingUserIds(teamId: string, userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set<string>()
    const rows = await this.executor.db
      .select({ id: scimUsers.id })
      .from(scimUsers)
      .where(and(eq(scimUsers.teamId, teamId), sql`${scimUsers.id} = any(${sql.param(userIds)}::uuid[])`))
    return new Set(rows.map((r) => r.id))
  }

  insertUser(teamId: string, user: ScimUserRecord): Promise<void> {
    return userRows.insert(this.executor.db, teamId, user)
  }

  async insertUserWithNewAccount(
    teamId: string,
    user: Omit<ScimUserRecord, 'accountId'>,
    account: { email: string; displayName: string | null },
  ): Promise<string | null> {
    const result = await this.executor.db.execute(newMemberUserQuery(teamId, user, account))
    const [row] = (result as { rows: { account_id: string }[] }).rows
    return row?.account_id ?? null
  }

  updateUser(teamId: string, user: ScimUserRecord, expectedVersion: number): Promise<boolean> {
    return userRows.update(this.executor.db, teamId, user, expectedVersion)
  }

  deleteUser(teamId: string, id: string): Promise<boolean> {
    return userRows.remove(this.executor.db, teamId, id)
  }

  async listUsers(teamId: string, query: ListQuery): Promise<ListResult<ScimUserRecord>> {
    const { db, lookups, filterMatchBudget } = this.executor
    const eqLookup = eqLookupPage(query)
    if (eqLookup) {
      const matches = await lookups[eqLookup.lookup].execute({ teamId, value: eqLookup.value, limit: query.count + 1 })
      const whole = wholeResult(matches.map(toUserRecord), query.count)
      if (whole) return whole
    }
    const { totalResults, rows, nextAfterId } = await userListQuery(db, teamId, query, filterMatchBudget)
    return { totalResults, resources: rows.map(toUserRecord), nextAfterId }
  }
}

/** The team's user with this userName, folded as scim_users_user_name_key is (one probe of it). */
export function userByUserNameQuery(db: Executor, teamId: string, userName: string) {
  return db
    .select()
    .from(scimUsers)
    .where(and(eq(scimUsers.teamId, teamId), eq(caseFolded(scimUsers.userName), foldCase(userName))))
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
 * An eq lookup reads one row more than the page: a shorter answer is the whole result, so its
 * length is also the exact total; a longer one is left to the general list, which counts.
 */
export function wholeResult(users: ScimUserRecord[], count: number): ListResult<ScimUserRecord> | undefined {
  return users.length <= count ? { totalResults: users.length, resources: users } : undefined
}

/** The columns toUserRecord reads (the prepared lookups select just these, prepared-lookups.ts). */
export type UserRow = Omit<typeof scimUsers.$inferSelect, 'teamId'>

export function toUserRecord(row: UserRow): ScimUserRecord {
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
