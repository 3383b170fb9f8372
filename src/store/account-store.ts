import type { Account, Member, Role, SsoProtocol, Team } from './records.js'

/**
 * Teams and the Compound accounts on them: the team rows, accounts (shared across teams, found by
 * email), team memberships and the team's SSO. Every call on a team's data takes teamId first; the
 * account calls are global by nature (Compound's one-team-per-account rule is checked before a team
 * is known to hold the account).
 */
export interface AccountStore {
  getTeam(teamId: string): Promise<Team | null>
  /** Locks the team row for the rest of the transaction (serialises admin actions on one team). */
  lockTeam(teamId: string): Promise<Team | null>
  upsertTeam(teamId: string, name: string): Promise<{ created: boolean }>

  /** Global by nature: Compound accounts are shared across teams and found by email. */
  findAccountByEmail(email: string): Promise<Account | null>
  getAccount(accountId: string): Promise<Account | null>
  createAccount(input: { email: string; displayName: string | null }): Promise<Account>
  updateAccount(accountId: string, input: { email?: string; displayName?: string | null }): Promise<void>

  /**
   * Which team (if any) an account belongs to: the one-team-per-account rule needs it. With `lock`,
   * the membership row stays locked for the transaction: it cannot move to another team meanwhile.
   */
  findMembershipOfAccount(accountId: string, options?: { lock?: boolean }): Promise<{ teamId: string; role: Role } | null>
  addMember(teamId: string, accountId: string, role: Role): Promise<void>
  setMemberRole(teamId: string, accountId: string, role: Role): Promise<void>
  removeMember(teamId: string, accountId: string): Promise<boolean>
  getOwner(teamId: string): Promise<Account | null>
  listMembers(teamId: string): Promise<Member[]>

  setSso(teamId: string, protocol: SsoProtocol): Promise<void>
  removeSso(teamId: string): Promise<boolean>
  getSso(teamId: string): Promise<{ protocol: SsoProtocol; active: boolean } | null>
}
