import { and, eq, sql } from 'drizzle-orm'
import { caseFolded } from './case-folded.js'
import type { Executor, PgExecutor } from './executor.js'
import { readRows } from './row-lock.js'
import { accounts, ssoConfigs, teamMemberships, teams } from './schema.js'
import { foldCase } from '../../scim/core/case-fold.js'
import type { AccountStore } from '../account-store.js'
import type { Account, Member, Role, SsoProtocol, Team } from '../records.js'

/** An account's columns as the store hands them out (records.ts Account). */
export const accountColumns = { id: accounts.id, email: accounts.email, displayName: accounts.displayName }

/** Teams, accounts, team memberships and SSO, in PostgreSQL or PGlite. */
export class PgAccountStore implements AccountStore {
  private readonly db: Executor

  constructor(executor: PgExecutor) {
    this.db = executor.db
  }

  getTeam(teamId: string): Promise<Team | null> {
    return teamById(this.db, teamId, { lock: false })
  }

  lockTeam(teamId: string): Promise<Team | null> {
    return teamById(this.db, teamId, { lock: true })
  }

  async upsertTeam(teamId: string, name: string): Promise<{ created: boolean }> {
    // xmax = 0 only for a freshly inserted row: tells created from updated in one statement.
    const [row] = await this.db
      .insert(teams)
      .values({ id: teamId, name })
      .onConflictDoUpdate({ target: teams.id, set: { name, updatedAt: sql`now()` } })
      .returning({ created: sql<boolean>`(xmax = 0)` })
    return { created: Boolean(row?.created) }
  }

  async findAccountByEmail(email: string): Promise<Account | null> {
    const [row] = await accountByEmailQuery(this.db, email)
    return row ?? null
  }

  async getAccount(accountId: string): Promise<Account | null> {
    const [row] = await this.db.select(accountColumns).from(accounts).where(eq(accounts.id, accountId))
    return row ?? null
  }

  async createAccount(input: { email: string; displayName: string | null }): Promise<Account> {
    const [row] = await this.db.insert(accounts).values({ email: input.email, displayName: input.displayName }).returning(accountColumns)
    return row!
  }

  async updateAccount(accountId: string, input: { email?: string; displayName?: string | null }): Promise<void> {
    await this.db
      .update(accounts)
      .set({ ...input, updatedAt: sql`now()` })
      .where(eq(accounts.id, accountId))
  }

  async findMembershipOfAccount(accountId: string, options?: { lock?: boolean }): Promise<{ teamId: string; role: Role } | null> {
    const [row] = await readRows(
      this.db
        .select({ teamId: teamMemberships.teamId, role: teamMemberships.role })
        .from(teamMemberships)
        .where(eq(teamMemberships.accountId, accountId)),
      options,
    )
    return row ?? null
  }

  async addMember(teamId: string, accountId: string, role: Role): Promise<void> {
    await this.db.insert(teamMemberships).values({ teamId, accountId, role })
  }

  async setMemberRole(teamId: string, accountId: string, role: Role): Promise<void> {
    await this.db.update(teamMemberships).set({ role }).where(membership(teamId, accountId))
  }

  async removeMember(teamId: string, accountId: string): Promise<boolean> {
    const rows = await this.db
      .delete(teamMemberships)
      .where(membership(teamId, accountId))
      .returning({ accountId: teamMemberships.accountId })
    return rows.length > 0
  }

  async getOwner(teamId: string): Promise<Account | null> {
    const [row] = await this.db
      .select(accountColumns)
      .from(teamMemberships)
      .innerJoin(accounts, eq(accounts.id, teamMemberships.accountId))
      .where(and(eq(teamMemberships.teamId, teamId), eq(teamMemberships.role, 'owner')))
    return row ?? null
  }

  listMembers(teamId: string): Promise<Member[]> {
    return this.db
      .select({ ...accountColumns, role: teamMemberships.role })
      .from(teamMemberships)
      .innerJoin(accounts, eq(accounts.id, teamMemberships.accountId))
      .where(eq(teamMemberships.teamId, teamId))
      .orderBy(teamMemberships.createdAt, accounts.id)
  }

  async setSso(teamId: string, protocol: SsoProtocol): Promise<void> {
    await this.db
      .insert(ssoConfigs)
      .values({ teamId, protocol, active: true })
      .onConflictDoUpdate({ target: ssoConfigs.teamId, set: { protocol, active: true, updatedAt: sql`now()` } })
  }

  async removeSso(teamId: string): Promise<boolean> {
    const rows = await this.db
      .update(ssoConfigs)
      .set({ active: false, updatedAt: sql`now()` })
      .where(and(eq(ssoConfigs.teamId, teamId), eq(ssoConfigs.active, true)))
      .returning({ teamId: ssoConfigs.teamId })
    return rows.length > 0
  }

  async getSso(teamId: string): Promise<{ protocol: SsoProtocol; active: boolean } | null> {
    const [row] = await this.db
      .select({ protocol: ssoConfigs.protocol, active: ssoConfigs.active })
      .from(ssoConfigs)
      .where(eq(ssoConfigs.teamId, teamId))
    return row ?? null
  }
}

async function teamById(db: Executor, teamId: string, options: { lock: boolean }): Promise<Team | null> {
  const [row] = await readRows(db.select({ id: teams.id, name: teams.name }).from(teams).where(eq(teams.id, teamId)), options)
  return row ?? null
}

function membership(teamId: string, accountId: string) {
  return and(eq(teamMemberships.teamId, teamId), eq(teamMemberships.accountId, accountId))
}

/**
 * The account with this email, ASCII case folded: one probe of accounts_email_key, which is built on
 * the same expression (every create looks the account up; a scan of all accounts would grow with them).
 */
export function accountByEmailQuery(db: Executor, email: string) {
  return db
    .select(accountColumns)
    .from(accounts)
    .where(eq(caseFolded(accounts.email), foldCase(email)))
}
