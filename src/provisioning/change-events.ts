import { accountDisplayName, accountEmail } from './account-profile.js'
import type { ChangeEventInput } from '../events/change-event.js'
import type { AccountStore } from '../store/account-store.js'
import type { GroupStore } from '../store/group-store.js'
import type { ScimGroupRecord, ScimUserRecord } from '../store/records.js'
import type { Ports } from '../store/stores.js'
import type { UserStore } from '../store/user-store.js'

/*
 * The change events of a SCIM write, derived from what the write did to the store: a
 * write's own code stays about Compound's rules, and an event cannot claim a change the store did
 * not make. `watchWrites` hands the write a view of its transaction's store that notes the calls
 * events are made of; the write's wrapper turns the notes and its outcome into events.
 */

/** What a write did, as far as its events are concerned. */
export interface WriteNotes {
  /** Account profile writes (syncProfile): the fields set, per account. */
  readonly profiles: { accountId: string; email?: string | undefined; displayName?: string | null | undefined }[]
  /** The group as locked before the write, and as saved. */
  groupBefore?: ScimGroupRecord
  groupAfter?: ScimGroupRecord
  groupCreated?: ScimGroupRecord
  groupDeleted?: string
  /** The User ids added to and removed from the group (in the order the store reported them). */
  readonly membersAdded: string[]
  readonly membersRemoved: string[]
  /**
   * Accounts that joined or left the team in this write. Member events follow these, not the
   * write's outcome: a deactivated user whose account another active user still stands for (one
   * email, two IdP users) leaves the account on the team, and the app must not end its sessions.
   */
  readonly joined: Set<string>
  readonly left: Set<string>
  /**
   * The groups a deleted User was a member of: its membership rows go with it (a cascade), and each
   * group's followers hear it (up to MAX_MEMBER_IDS groups; a User in more is not listed group by group).
   */
  readonly leftGroups: string[]
}

export function newNotes(): WriteNotes {
  return { profiles: [], membersAdded: [], membersRemoved: [], joined: new Set(), left: new Set(), leftGroups: [] }
}

/** The ports whose calls make events (a write has some of them). */
type Watched = Partial<Pick<Ports, 'accounts' | 'users' | 'groups'>>

/**
 * `tx` with the calls that make events noted in `notes`. Everything else is tx's own (each watched
 * port's view inherits from the port), so the write runs exactly as it would.
 */
export function watchWrites<Tx extends Watched>(tx: Tx, notes: WriteNotes): Tx {
  return {
    ...tx,
    ...(tx.accounts && { accounts: watchAccounts(tx.accounts, notes) }),
    ...(tx.users && { users: watchUsers(tx.users, notes, tx.groups) }),
    ...(tx.groups && { groups: watchGroups(tx.groups, notes) }),
  }
}

function watchAccounts(accounts: AccountStore, notes: WriteNotes): AccountStore {
  const view = Object.create(accounts) as AccountStore
  view.updateAccount = async (accountId, input) => {
    await accounts.updateAccount(accountId, input)
    notes.profiles.push({ accountId, ...input })
  }
  view.addMember = async (teamId, accountId, role) => {
    await accounts.addMember(teamId, accountId, role)
    notes.joined.add(accountId)
  }
  view.removeMember = async (teamId, accountId) => {
    const removed = await accounts.removeMember(teamId, accountId)
    if (removed) notes.left.add(accountId)
    return removed
  }
  return view
}

function watchUsers(users: UserStore, notes: WriteNotes, groups: GroupStore | undefined): UserStore {
  const view = Object.create(users) as UserStore
  if (groups) {
    view.deleteUser = async (teamId, id) => {
      const memberOf = await groups.groupsOfUsers(teamId, [id], MAX_MEMBER_IDS)
      const deleted = await users.deleteUser(teamId, id)
      if (deleted) notes.leftGroups.push(...(memberOf?.get(id) ?? []).map((group) => group.value))
      return deleted
    }
  }
  view.insertUserWithNewAccount = async (teamId, user, account) => {
    const accountId = await users.insertUserWithNewAccount(teamId, user, account)
    if (accountId !== null) notes.joined.add(accountId)
    return accountId
  }
  return view
}

function watchGroups(groups: GroupStore, notes: WriteNotes): GroupStore {
  const view = Object.create(groups) as GroupStore
  view.getGroup = async (teamId, id, options) => {
    const group = await groups.getGroup(teamId, id, options)
    if (group && options?.lock) notes.groupBefore ??= group
    return group
  }
  view.insertGroup = async (teamId, group) => {
    await groups.insertGroup(teamId, group)
    notes.groupCreated = group
  }
  view.updateGroup = async (teamId, group, expectedVersion) => {
    const saved = await groups.updateGroup(teamId, group, expectedVersion)
    if (saved) notes.groupAfter = group
    return saved
  }
  view.deleteGroup = async (teamId, id) => {
    const deleted = await groups.deleteGroup(teamId, id)
    if (deleted) notes.groupDeleted = id
    return deleted
  }
  view.addGroupMembers = async (teamId, groupId, members) => {
    const added = await groups.addGroupMembers(teamId, groupId, members)
    notes.membersAdded.push(...added)
    return added
  }
  view.addGroupMembersAndBump = async (teamId, groupId, members, lastModified) => {
    const saved = await groups.addGroupMembersAndBump(teamId, groupId, members, lastModified)
    // Only members changed (the write rolls back when some ids are not Users of the team).
    if (saved) {
      notes.groupBefore ??= saved.group
      notes.groupAfter = saved.group
      notes.membersAdded.push(...saved.added)
    }
    return saved
  }
  view.removeGroupMembers = async (teamId, groupId, which) => {
    const removed = await groups.removeGroupMembers(teamId, groupId, which)
    notes.membersRemoved.push(...removed)
    return removed
  }
  return view
}

type UserOutcome = 'created' | 'updated' | 'deactivated' | 'reactivated' | 'deleted'

/**
 * A User write's events: a membership its account gained or lost in this write (named by the
 * outcome), and any account profile it changed.
 */
export function userChanges(outcome: UserOutcome, user: ScimUserRecord, notes: WriteNotes): ChangeEventInput[] {
  const resource = { type: 'User', id: user.id } as const
  const events: ChangeEventInput[] = []
  const base = { accountId: user.accountId, resource }
  const joined = notes.joined.has(user.accountId)
  const left = notes.left.has(user.accountId)
  switch (outcome) {
    case 'created':
      // Created inactive (OneLogin does), or for an account already on the team: no membership changed.
      if (joined) {
        events.push({
          kind: 'member.added',
          ...base,
          changes: {
            userName: user.userName,
            externalId: user.externalId,
            email: accountEmail(user.doc),
            displayName: accountDisplayName(user.doc),
            active: true,
          },
        })
      }
      return events
    case 'reactivated':
      if (joined) events.push({ kind: 'member.reactivated', ...base, changes: { active: true } })
      break
    case 'deactivated':
      if (left) events.push({ kind: 'member.removed', ...base, changes: { active: false, reason: 'deactivated' } })
      break
    case 'deleted':
      if (left) events.push({ kind: 'member.removed', ...base, changes: { reason: 'deleted' } })
      for (const id of notes.leftGroups) {
        events.push({
          kind: 'group.members_changed',
          resource: { type: 'Group', id },
          changes: { ...memberChanges([], [user.id]), reason: 'user_deleted' },
        })
      }
      break
    case 'updated':
      break
  }
  for (const { accountId, ...fields } of notes.profiles) {
    events.push({ kind: 'member.profile_changed', accountId, resource, changes: fields })
  }
  return events
}

/** User ids an event lists at most per side; a group replaced whole (10,000 members) is counted, not listed. */
export const MAX_MEMBER_IDS = 1_000

/**
 * A membership change as an event shows it: how many Users were added and removed, and which (their SCIM
 * ids), up to MAX_MEMBER_IDS a side; past that the app reads the group's members instead.
 */
function memberChanges(added: readonly string[], removed: readonly string[]) {
  const listed = (ids: readonly string[]) => (ids.length <= MAX_MEMBER_IDS ? [...ids] : null)
  return { added: added.length, removed: removed.length, addedIds: listed(added), removedIds: listed(removed) }
}

/** A Group write's events: created, changed (displayName, externalId), deleted, and its membership changes. */
export function groupChanges(notes: WriteNotes): ChangeEventInput[] {
  const events: ChangeEventInput[] = []
  const members = memberChanges(notes.membersAdded, notes.membersRemoved)
  if (notes.groupCreated) {
    const { id, displayName, externalId } = notes.groupCreated
    events.push({ kind: 'group.created', resource: { type: 'Group', id }, changes: { displayName, externalId, members } })
    return events
  }
  if (notes.groupDeleted) {
    events.push({ kind: 'group.deleted', resource: { type: 'Group', id: notes.groupDeleted }, changes: {} })
    return events
  }
  const before = notes.groupBefore
  const after = notes.groupAfter
  if (before && after) {
    const changes: Record<string, unknown> = {}
    if (after.displayName !== before.displayName) changes.displayName = after.displayName
    if (after.externalId !== before.externalId) changes.externalId = after.externalId
    if (Object.keys(changes).length > 0) events.push({ kind: 'group.updated', resource: { type: 'Group', id: after.id }, changes })
  }
  const id = after?.id ?? before?.id
  if (id && (members.added > 0 || members.removed > 0)) {
    events.push({ kind: 'group.members_changed', resource: { type: 'Group', id }, changes: members })
  }
  return events
}
