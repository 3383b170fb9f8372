import { AdminError } from './admin-error.js'
import type { AccountStore } from '../store/account-store.js'
import type { Member, SsoProtocol } from '../store/records.js'
import { StoreConflict } from '../store/store-errors.js'
import type { StoreScope } from '../store/stores.js'

/** The ports the admin API's team calls use: teams and accounts, the team's connection (for SSO's events), the audit log. */
export type TeamDirectoryPorts = StoreScope<'accounts' | 'connections' | 'audit'>

/**
 * The team store side of the admin API: teams, their Owner, SSO state and members. In a
 * deployment sharing Compound's database these are the same repository calls.
 */
export class TeamDirectory {
  constructor(private readonly store: TeamDirectoryPorts) {}

  async upsertTeam(
    teamId: string,
    input: { name: string; owner: { email: string; displayName?: string | undefined } },
  ): Promise<{ created: boolean; ownerAccountId: string }> {
    try {
      return await this.store.transaction(async (tx) => {
        const { created } = await tx.accounts.upsertTeam(teamId, input.name)
        await tx.accounts.lockTeam(teamId)
        let account = await tx.accounts.findAccountByEmail(input.owner.email)
        if (!account) {
          account = await tx.accounts.createAccount({ email: input.owner.email, displayName: input.owner.displayName ?? null })
        } else if (input.owner.displayName !== undefined && input.owner.displayName !== account.displayName) {
          await tx.accounts.updateAccount(account.id, { displayName: input.owner.displayName })
        }
        const membership = await tx.accounts.findMembershipOfAccount(account.id)
        if (membership && membership.teamId !== teamId) {
          throw new AdminError('account_in_other_team', 'The owner account is already a member of a different team')
        }
        const currentOwner = await tx.accounts.getOwner(teamId)
        if (currentOwner?.id !== account.id) {
          // The previous Owner stays on the team; only one Owner exists at a time.
          if (currentOwner) await tx.accounts.setMemberRole(teamId, currentOwner.id, 'admin')
          if (membership) await tx.accounts.setMemberRole(teamId, account.id, 'owner')
          else await tx.accounts.addMember(teamId, account.id, 'owner')
        }
        await tx.audit.appendEvent(teamId, {
          source: 'admin',
          action: created ? 'team.create' : 'team.update',
          outcome: 'ok',
          accountId: account.id,
        })
        return { created, ownerAccountId: account.id }
      })
    } catch (error) {
      if (error instanceof StoreConflict && error.rule === 'oneTeamPerAccount') {
        throw new AdminError('account_in_other_team', 'The owner account is already a member of a different team', {
          cause: error,
        })
      }
      throw error
    }
  }

  async setSso(teamId: string, protocol: SsoProtocol): Promise<void> {
    await this.store.transaction(async (tx) => {
      // The team's lock: two SSO changes of one team take turns, so "was it inactive" is the truth.
      if (!(await tx.accounts.lockTeam(teamId))) throw new AdminError('team_not_found', `Team ${teamId} does not exist`)
      const before = await tx.accounts.getSso(teamId)
      await tx.accounts.setSso(teamId, protocol)
      // An enabled connection suspended for want of SSO serves again: the app hears it resumed.
      const connection = before?.active ? null : await tx.connections.getEnabledConnection(teamId)
      await tx.audit.recordChanges(
        teamId,
        { source: 'admin', action: 'sso.enable', outcome: 'ok', detail: protocol },
        connection ? [{ kind: 'scim.resumed', changes: { endpointId: connection.endpointId } }] : [],
      )
    })
  }

  async removeSso(teamId: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      await this.requireTeam(tx.accounts, teamId)
      const removed = await tx.accounts.removeSso(teamId)
      // An enabled connection refuses every request while its team has no active SSO: the app hears it is suspended.
      const connection = removed ? await tx.connections.getEnabledConnection(teamId) : null
      await tx.audit.recordChanges(
        teamId,
        { source: 'admin', action: 'sso.remove', outcome: removed ? 'ok' : 'noop' },
        connection ? [{ kind: 'scim.suspended', changes: { endpointId: connection.endpointId, reason: 'sso_inactive' } }] : [],
      )
    })
  }

  async listMembers(teamId: string): Promise<Member[]> {
    await this.requireTeam(this.store.accounts, teamId)
    return this.store.accounts.listMembers(teamId)
  }

  private async requireTeam(accounts: AccountStore, teamId: string): Promise<void> {
    if (!(await accounts.getTeam(teamId))) throw new AdminError('team_not_found', `Team ${teamId} does not exist`)
  }
}
