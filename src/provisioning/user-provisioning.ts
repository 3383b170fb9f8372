import { randomUUID } from 'node:crypto'
import { accountDisplayName, accountEmail } from './account-profile.js'
import { auditedWrite } from './audited-write.js'
import { newNotes, userChanges, watchWrites } from './change-events.js'
import type { Clock } from '../clock.js'
import { ignoreOutcomes, type OutcomeObserver } from './outcomes.js'
import { foldCase } from '../scim/core/case-fold.js'
import { normalizeResource } from '../scim/core/resource-input.js'
import { checkIfMatch } from './preconditions.js'
import { renderUser, userView } from '../scim/core/user-resource.js'
import { ScimError } from '../scim/protocol/scim-error.js'
import { MAX_GROUPS_RETURNED } from '../scim/limits.js'
import type { ScimContext } from './scim-context.js'
import { tooMany } from './too-many.js'
import { isUuid } from '../scim/core/uuid.js'
import type { Account, GroupMemberRow, ListQuery, ListResult, Role, ScimUserRecord } from '../store/records.js'
import { StoreConflict } from '../store/store-errors.js'
import type { StoreScope } from '../store/stores.js'

/** The ports a User write reads and writes: its users, the accounts they stand for, the audit log, and groups for `groups`. */
export type UserPorts = StoreScope<'users' | 'accounts' | 'groups' | 'audit'>

export const DIFFERENT_TEAM = 'User is already a member of a different team'

const OWNER_EMAIL =
  "The Team Owner's email is their Compound sign-in and cannot be changed through SCIM: change it in Compound, or send the Owner's current email"

type UserAction = 'user.create' | 'user.replace' | 'user.patch' | 'user.delete'

/** The outcome of a write, as the audit log and metrics name it. */
type Outcome = 'created' | 'updated' | 'deactivated' | 'reactivated' | 'deleted'

/**
 * Compound's provisioning rules (README, "Compound's rules") applied to SCIM Users: accounts found by email,
 * Member role, one team per account, Owners never deprovisioned, reactivation reusing the
 * account. Each request runs in one transaction; a rejected request changes nothing.
 */
export class UserProvisioning {
  private readonly newId: () => string
  private readonly observe: OutcomeObserver

  constructor(
    private readonly store: UserPorts,
    private readonly clock: Clock,
    options: { newId?: () => string; observe?: OutcomeObserver } = {},
  ) {
    this.newId = options.newId ?? randomUUID
    this.observe = options.observe ?? ignoreOutcomes
  }

  async get(ctx: ScimContext, id: string): Promise<ScimUserRecord> {
    const user = isUuid(id) ? await this.store.users.getUser(ctx.teamId, id) : null
    if (!user) throw notFound(id)
    return user
  }

  list(ctx: ScimContext, query: ListQuery): Promise<ListResult<ScimUserRecord>> {
    return this.store.users.listUsers(ctx.teamId, query).catch(tooMany)
  }

  /**
   * The groups of these users, for the `groups` attribute: `limit` memberships in all at most, else
   * 400 tooMany (the store counts limit + 1 rows at most, and reads none then).
   */
  async groupsOf(ctx: ScimContext, userIds: readonly string[], limit = MAX_GROUPS_RETURNED): Promise<Map<string, GroupMemberRow[]>> {
    const refused = () =>
      `${userIds.length === 1 ? 'This user is' : "This page's users are"} in more than ${limit} groups${userIds.length === 1 ? '' : ' in all'}: ` +
      `${userIds.length === 1 ? '' : 'ask for fewer users (count), or '}leave out "groups" (it is returned only when attributes names it), ` +
      'and read the groups with GET /Groups?filter=members[value eq "<user id>"]&excludedAttributes=members'
    const groups = await this.store.groups.groupsOfUsers(ctx.teamId, userIds, limit).catch((error: unknown) => tooMany(error, refused()))
    if (!groups) throw new ScimError(400, refused(), 'tooMany')
    return groups
  }

  /** POST /Users. A userName whose SCIM user is inactive is reactivated in place (Okta's unassign then reassign). */
  create(ctx: ScimContext, body: unknown): Promise<{ user: ScimUserRecord; created: boolean }> {
    const doc = withActive(normalizeResource(body, userView), true)
    return this.write<{ user: ScimUserRecord; created: boolean }>(ctx, 'user.create', null, async (tx) => {
      const id = this.newId()
      const fresh = await this.createNewPerson(tx, ctx, id, doc)
      if (fresh) return { user: fresh, outcome: 'created', value: { user: fresh, created: true } }
      const existing = await tx.users.findUserByUserName(ctx.teamId, doc.userName as string, { lock: true })
      if (existing && existing.active !== false) {
        throw new ScimError(409, `A user with userName "${doc.userName as string}" already exists (id ${existing.id})`, 'uniqueness')
      }
      if (existing) {
        const result = await this.update(tx, ctx, existing, doc)
        return { ...result, value: { user: result.user, created: false } }
      }
      const { account, found } = await this.accountFor(tx, doc)
      const active = doc.active === true
      const role = active ? await this.ensureMember(tx, ctx.teamId, account.id) : await this.ensureNotMember(tx, ctx.teamId, account.id, id)
      // A new account was made from this very document; a found one takes the profile only as a
      // member here, and only from a user who stands for it (an inactive one does not).
      const kept = found && role && active ? await this.syncProfile(tx, ctx.teamId, account, role, doc) : undefined
      const now = this.clock()
      const user: ScimUserRecord = {
        id,
        userName: doc.userName as string,
        externalId: (doc.externalId as string | undefined) ?? null,
        active,
        accountId: account.id,
        doc,
        version: 1,
        created: now,
        lastModified: now,
      }
      await tx.users.insertUser(ctx.teamId, user)
      return { user, outcome: 'created', note: kept, value: { user, created: true } }
    })
  }

  /**
   * The create IdPs send most (a new person, active, with an email no account holds, a userName the
   * team has not used): the account, its membership as Member and the user in one statement. Undefined
   * when any of that does not hold (nothing is written then), for the general path to decide.
   */
  private async createNewPerson(
    tx: UserPorts,
    ctx: ScimContext,
    id: string,
    doc: Record<string, unknown>,
  ): Promise<ScimUserRecord | undefined> {
    const email = accountEmail(doc)
    if (doc.active !== true || !email) return undefined
    const now = this.clock()
    const user = {
      id,
      userName: doc.userName as string,
      externalId: (doc.externalId as string | undefined) ?? null,
      active: true,
      doc,
      version: 1,
      created: now,
      lastModified: now,
    }
    const accountId = await tx.users.insertUserWithNewAccount(ctx.teamId, user, { email, displayName: accountDisplayName(doc) })
    return accountId === null ? undefined : { ...user, accountId }
  }

  /** PUT /Users/{id}: the body replaces the stored attributes; an absent `active` keeps its value (assigned or not). */
  replace(ctx: ScimContext, id: string, body: unknown, ifMatch?: string): Promise<ScimUserRecord> {
    const input = normalizeResource(body, userView)
    return this.write(ctx, 'user.replace', id, async (tx) => {
      const current = await this.lockForWrite(tx, ctx, id, ifMatch)
      const result = await this.update(tx, ctx, current, withActive(input, current.active))
      return { ...result, value: result.user }
    })
  }

  /**
   * PATCH /Users/{id}: `change` computes the new document from the current resource inside the
   * transaction (so operations apply to the stored version, atomically). An `active` the operations
   * removed (or set to null) is unassigned (RFC 7644 §3.5.2.2), which deprovisions nobody; a
   * deprovisioned user stays so until an explicit `true` (test/http/active-unassigned.test.ts).
   */
  modify(
    ctx: ScimContext,
    id: string,
    change: (resource: Record<string, unknown>) => Record<string, unknown>,
    location: string,
    ifMatch?: string,
  ): Promise<ScimUserRecord> {
    return this.write(ctx, 'user.patch', id, async (tx) => {
      const current = await this.lockForWrite(tx, ctx, id, ifMatch)
      const doc = normalizeResource(change(renderUser(current, location)), userView)
      const result = await this.update(tx, ctx, current, withActive(doc, current.active === false ? false : null))
      return { ...result, value: result.user }
    })
  }

  /** DELETE /Users/{id}: the SCIM user and the membership go, the account stays. */
  remove(ctx: ScimContext, id: string, ifMatch?: string): Promise<void> {
    return this.write(ctx, 'user.delete', id, async (tx) => {
      const current = await this.lockForWrite(tx, ctx, id, ifMatch)
      await this.ensureNotMember(tx, ctx.teamId, current.accountId, current.id)
      await tx.users.deleteUser(ctx.teamId, current.id)
      return { user: current, outcome: 'deleted', value: undefined }
    })
  }

  private async lockForWrite(tx: UserPorts, ctx: ScimContext, id: string, ifMatch: string | undefined): Promise<ScimUserRecord> {
    const current = isUuid(id) ? await tx.users.getUser(ctx.teamId, id, { lock: true }) : null
    if (!current) throw notFound(id)
    checkIfMatch(ifMatch, current.version, 'user')
    return current
  }

  /** The transitions of an existing user: active changes, profile, userName. */
  private async update(
    tx: UserPorts,
    ctx: ScimContext,
    current: ScimUserRecord,
    doc: Record<string, unknown>,
  ): Promise<{ user: ScimUserRecord; outcome: Outcome; note?: string | undefined }> {
    // Only false is deprovisioned: true and unassigned (null) both keep the person on the team.
    const active = typeof doc.active === 'boolean' ? doc.active : null
    let outcome: Outcome = 'updated'
    let role: Role | null
    if (current.active !== false && active === false) {
      role = await this.ensureNotMember(tx, ctx.teamId, current.accountId, current.id)
      outcome = 'deactivated'
    } else if (current.active === false && active === true) {
      role = await this.ensureMember(tx, ctx.teamId, current.accountId)
      outcome = 'reactivated'
    } else {
      role = await this.roleHere(tx, ctx.teamId, current.accountId)
    }
    // The account is shared: once it has left this team (and perhaps joined another), this team's
    // writes change its own SCIM user only (test/http/tenant-isolation.test.ts). A user being
    // deprovisioned no longer stands for the account, so its profile stays its own too (another
    // active user may still hold the membership: two IdP users with one email).
    let note: string | undefined
    if (role && active !== false) {
      const account = await tx.accounts.getAccount(current.accountId)
      if (account) note = await this.syncProfile(tx, ctx.teamId, account, role, doc)
    }
    const user: ScimUserRecord = {
      ...current,
      userName: doc.userName as string,
      externalId: (doc.externalId as string | undefined) ?? null,
      active,
      doc,
      version: current.version + 1,
      lastModified: this.clock(),
    }
    if (!(await tx.users.updateUser(ctx.teamId, user, current.version))) {
      throw new ScimError(409, `User ${current.id} was changed by another request; retry`)
    }
    return { user, outcome, note }
  }

  /** Finds the account by the user's email, or creates it. */
  private async accountFor(tx: UserPorts, doc: Record<string, unknown>): Promise<{ account: Account; found: boolean }> {
    const email = accountEmail(doc)
    if (!email) {
      throw ScimError.badRequest(
        'invalidValue',
        'Compound identifies people by email: give the user an email (emails, or a userName that is an email address)',
      )
    }
    const existing = await tx.accounts.findAccountByEmail(email)
    if (existing) return { account: existing, found: true }
    return { account: await tx.accounts.createAccount({ email, displayName: accountDisplayName(doc) }), found: false }
  }

  /** The account's role on this team, or null when it is not a member here. */
  private async roleHere(tx: UserPorts, teamId: string, accountId: string): Promise<Role | null> {
    const membership = await tx.accounts.findMembershipOfAccount(accountId, { lock: true })
    return membership?.teamId === teamId ? membership.role : null
  }

  /** Adds the account as Member; an existing member of this team keeps its role. Returns its role here. */
  private async ensureMember(tx: UserPorts, teamId: string, accountId: string): Promise<Role> {
    const membership = await tx.accounts.findMembershipOfAccount(accountId, { lock: true })
    if (membership && membership.teamId !== teamId) throw new ScimError(409, DIFFERENT_TEAM, 'uniqueness')
    if (membership) return membership.role
    await tx.accounts.addMember(teamId, accountId, 'member')
    return 'member'
  }

  /**
   * Removes the account from the team as `userId` stops standing for it, unless another active
   * SCIM user still does (two IdP users with one email are one account), or it is the Owner (Team
   * Owners cannot be deprovisioned). Returns the account's role here afterwards (null: not a member).
   */
  private async ensureNotMember(tx: UserPorts, teamId: string, accountId: string, userId: string): Promise<Role | null> {
    const membership = await tx.accounts.findMembershipOfAccount(accountId, { lock: true })
    if (membership?.teamId !== teamId) return null
    if (await tx.users.hasOtherActiveUser(teamId, accountId, userId)) return membership.role
    if (membership.role === 'owner') {
      throw new ScimError(403, 'Team Owners cannot be deprovisioned through SCIM; transfer ownership in Compound first')
    }
    await tx.accounts.removeMember(teamId, accountId)
    return null
  }

  /**
   * Profile updates reach the account of a member of this team (the caller checks membership, with
   * the membership row locked, so a concurrent move to another team waits for this transaction).
   * The Owner's email is their Compound sign-in: SCIM never changes it. An email that another member
   * of this team holds is a conflict the team can see for itself (409). An email an account outside
   * the team holds leaves the account's email as it is and answers as any other email would; the
   * audit entry says so (returned as the note), as the members list would (README, "What a team can learn").
   */
  private async syncProfile(
    tx: UserPorts,
    teamId: string,
    account: Account,
    role: Role,
    doc: Record<string, unknown>,
  ): Promise<string | undefined> {
    const changes: { email?: string; displayName?: string | null } = {}
    let note: string | undefined
    const email = accountEmail(doc)
    if (email && foldCase(email) !== foldCase(account.email)) {
      if (role === 'owner') throw new ScimError(403, OWNER_EMAIL)
      const holder = await tx.accounts.findAccountByEmail(email)
      if (!holder) changes.email = email
      else if ((await tx.accounts.findMembershipOfAccount(holder.id))?.teamId === teamId) {
        throw new ScimError(409, 'Another member of this team has this email', 'uniqueness')
      } else note = 'account email kept: the address belongs to another Compound account'
    }
    const displayName = accountDisplayName(doc)
    if (displayName !== null && displayName !== account.displayName) changes.displayName = displayName
    if (Object.keys(changes).length > 0) await tx.accounts.updateAccount(account.id, changes)
    return note
  }

  /**
   * One transaction per request, retried (twice at most) when a concurrent request created the same
   * account or membership first: the retry then sees it.
   */
  private write<T>(
    ctx: ScimContext,
    action: UserAction,
    resourceId: string | null,
    work: (tx: UserPorts) => Promise<{ user: ScimUserRecord; outcome: Outcome; note?: string | undefined; value: T }>,
  ): Promise<T> {
    return auditedWrite(
      this.store,
      this.observe,
      ctx,
      {
        resource: 'user',
        action,
        resourceId,
        reject: toScimError,
        retry: (error, attempt) =>
          attempt < 3 && error instanceof StoreConflict && (error.rule === 'accountEmail' || error.rule === 'oneTeamPerAccount'),
      },
      async (tx) => {
        const notes = newNotes()
        const { user, outcome, note, value } = await work(watchWrites(tx, notes))
        const detail = note ? `${user.userName} (${note})` : user.userName
        return {
          value,
          entry: { outcome, resourceId: user.id, accountId: user.accountId, detail },
          changes: userChanges(outcome, user, notes),
        }
      },
    )
  }
}

function toScimError(error: unknown): ScimError | undefined {
  if (error instanceof StoreConflict) {
    switch (error.rule) {
      case 'userName':
        return new ScimError(409, 'A user with this userName already exists', 'uniqueness', { cause: error })
      case 'oneTeamPerAccount':
        return new ScimError(409, DIFFERENT_TEAM, 'uniqueness', { cause: error })
      case 'accountEmail':
        // Only after the retries: another request kept creating the same account meanwhile.
        return new ScimError(409, 'Another request changed this account at the same time; retry', undefined, { cause: error })
      default:
        return undefined
    }
  }
  return undefined
}

/** `doc` with its own boolean `active`, else `fallback`; a null fallback leaves `active` unassigned. */
function withActive(doc: Record<string, unknown>, fallback: boolean | null): Record<string, unknown> {
  if (typeof doc.active === 'boolean') return doc
  const { active: _unassigned, ...rest } = doc
  return fallback === null ? rest : { ...rest, active: fallback }
}

export function notFound(id: string): ScimError {
  return new ScimError(404, `User ${id} not found`)
}
