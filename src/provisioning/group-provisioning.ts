import { randomUUID } from 'node:crypto'
import { auditedWrite } from './audited-write.js'
import { groupChanges, newNotes, watchWrites } from './change-events.js'
import type { Clock } from '../clock.js'
import { ignoreOutcomes, type OutcomeObserver } from './outcomes.js'
import { checkIfMatch } from './preconditions.js'
import { isMembersKey, memberRefs, splitMembership, type MemberRef, type MembershipChange } from './group-membership.js'
import type { ScimContext } from './scim-context.js'
import { tooMany } from './too-many.js'
import { isUuid } from '../scim/core/uuid.js'
import { groupView } from '../scim/core/group-resource.js'
import { isObject, normalizeResource, withinObjectSize } from '../scim/core/resource-input.js'
import { applyPatch, type PatchOperation } from '../scim/patch/index.js'
import { ScimError } from '../scim/protocol/scim-error.js'
import { MAX_MEMBERS_RETURNED } from '../scim/limits.js'
import type { GroupMemberRow, ListQuery, ListResult, ScimGroupRecord } from '../store/records.js'
import { StoreConflict } from '../store/store-errors.js'
import type { StoreScope } from '../store/stores.js'

/** The ports a Group write reads and writes: its groups, the users its members are, the audit log. */
export type GroupPorts = StoreScope<'groups' | 'users' | 'audit'>

export interface GroupWithMembers {
  readonly group: ScimGroupRecord
  /** Undefined when not loaded (excludedAttributes=members). */
  readonly members: readonly GroupMemberRow[] | undefined
}

type GroupAction = 'group.create' | 'group.replace' | 'group.patch' | 'group.delete'

/**
 * SCIM Groups (RFC 7643 §4.2) of a team. They are stored and returned so that identity providers
 * that push groups stay green; they do not change Compound roles (a later mapping from a group to a
 * team role would hook in here). Every member is a User of the same team.
 */
export class GroupProvisioning {
  private readonly newId: () => string
  private readonly observe: OutcomeObserver

  constructor(
    private readonly store: GroupPorts,
    private readonly clock: Clock,
    options: { newId?: () => string; observe?: OutcomeObserver } = {},
  ) {
    this.newId = options.newId ?? randomUUID
    this.observe = options.observe ?? ignoreOutcomes
  }

  async get(ctx: ScimContext, id: string, withMembers: boolean): Promise<GroupWithMembers> {
    const group = isUuid(id) ? await this.store.groups.getGroup(ctx.teamId, id) : null
    if (!group) throw notFound(id)
    return {
      group,
      members: withMembers ? await this.membersOf(ctx, [group], MAX_MEMBERS_RETURNED).then((m) => m.get(group.id) ?? []) : undefined,
    }
  }

  /** A page of groups; with members, `memberLimit` members across the page at most (else 400 tooMany). */
  async list(
    ctx: ScimContext,
    query: ListQuery,
    withMembers: boolean,
    memberLimit = MAX_MEMBERS_RETURNED,
  ): Promise<ListResult<GroupWithMembers>> {
    const result = await this.store.groups.listGroups(ctx.teamId, query).catch(tooMany)
    const members = withMembers ? await this.membersOf(ctx, result.resources, memberLimit) : undefined
    return {
      totalResults: result.totalResults,
      resources: result.resources.map((group) => ({ group, members: members ? (members.get(group.id) ?? []) : undefined })),
      nextAfterId: result.nextAfterId,
    }
  }

  /**
   * Groups with more than `limit` members in all are refused (400 tooMany) instead of building a giant
   * body; the store counts at most limit + 1 rows and reads none then. A statement timeout on this read
   * is the same refusal, not a 503 (the client's request is what was too large).
   */
  private async membersOf(ctx: ScimContext, groups: readonly ScimGroupRecord[], limit: number): Promise<Map<string, GroupMemberRow[]>> {
    const refused = () =>
      groups.length === 1
        ? `Group ${groups[0]!.id} has more than ${limit} members: read it with excludedAttributes=members, and test membership with filter=members[value eq "<user id>"]`
        : `The groups of this page have more than ${limit} members in all: ask for fewer groups (count), or read them with excludedAttributes=members and test membership with filter=members[value eq "<user id>"]`
    const members = await this.store.groups
      .listGroupMembers(
        ctx.teamId,
        groups.map((g) => g.id),
        limit,
      )
      .catch((error: unknown) => tooMany(error, refused()))
    if (!members) throw new ScimError(400, refused(), 'tooMany')
    return members
  }

  create(ctx: ScimContext, body: unknown): Promise<ScimGroupRecord> {
    const { doc, members } = parseGroup(body)
    return this.write(ctx, 'group.create', null, async (tx) => {
      const now = this.clock()
      const group: ScimGroupRecord = {
        id: this.newId(),
        displayName: doc.displayName as string,
        externalId: (doc.externalId as string | undefined) ?? null,
        doc,
        version: 1,
        created: now,
        lastModified: now,
      }
      await tx.groups.insertGroup(ctx.teamId, group)
      const added = await this.applyMembership(tx, ctx, group.id, [{ kind: 'add', members: members ?? [] }])
      return { group, detail: `${group.displayName}: +${added.added}` }
    })
  }

  /** PUT: attributes replaced; the member list, when given, becomes the membership (applied as a difference). */
  replace(ctx: ScimContext, id: string, body: unknown, ifMatch?: string): Promise<ScimGroupRecord> {
    const { doc, members } = parseGroup(body)
    return this.write(ctx, 'group.replace', id, async (tx) => {
      const current = await this.lockForWrite(tx, ctx, id, ifMatch)
      const group = await this.save(tx, ctx, current, doc)
      const change = await this.applyMembership(tx, ctx, id, [members === undefined ? { kind: 'removeAll' } : { kind: 'set', members }])
      return { group, detail: `${group.displayName}: +${change.added} -${change.removed}` }
    })
  }

  /** PATCH: membership operations run as row changes in order; the others go through the PATCH engine. */
  modify(
    ctx: ScimContext,
    id: string,
    operations: readonly PatchOperation[],
    location: string,
    ifMatch?: string,
  ): Promise<ScimGroupRecord> {
    const { membership, attributes } = splitMembership(operations)
    const [only] = membership
    // Okta and Entra push membership one PATCH at a time: an add alone is one statement (store's addGroupMembersAndBump).
    const addOnly = attributes.length === 0 && membership.length === 1 && only?.kind === 'add' && ifMatch === undefined && isUuid(id)
    return this.write(ctx, 'group.patch', id, async (tx) => {
      if (addOnly) {
        const saved = await tx.groups.addGroupMembersAndBump(ctx.teamId, id, only.members, this.clock())
        if (saved) {
          if (saved.unknown.length > 0) throw unknownMembers(saved.unknown)
          return { group: saved.group, detail: `${saved.group.displayName}: +${saved.added.length} -0` }
        }
      }
      const current = await this.lockForWrite(tx, ctx, id, ifMatch)
      let doc = current.doc
      if (attributes.length > 0) {
        const resource = { schemas: [groupView.core.id], id: current.id, ...current.doc, meta: { resourceType: 'Group', location } }
        doc = normalizeResource(applyPatch(resource, attributes, groupView), groupView)
      }
      const group = await this.save(tx, ctx, current, doc)
      const change = await this.applyMembership(tx, ctx, id, membership)
      return { group, detail: `${group.displayName}: +${change.added} -${change.removed}` }
    })
  }

  remove(ctx: ScimContext, id: string, ifMatch?: string): Promise<void> {
    return this.write(ctx, 'group.delete', id, async (tx) => {
      const current = await this.lockForWrite(tx, ctx, id, ifMatch)
      await tx.groups.deleteGroup(ctx.teamId, id)
      return { group: current, detail: current.displayName }
    }).then(() => undefined)
  }

  private async lockForWrite(tx: GroupPorts, ctx: ScimContext, id: string, ifMatch: string | undefined): Promise<ScimGroupRecord> {
    // The row lock serialises concurrent PATCHes of one group: no membership change is lost.
    const current = isUuid(id) ? await tx.groups.getGroup(ctx.teamId, id, { lock: true }) : null
    if (!current) throw notFound(id)
    checkIfMatch(ifMatch, current.version, 'group')
    return current
  }

  private async save(tx: GroupPorts, ctx: ScimContext, current: ScimGroupRecord, doc: Record<string, unknown>): Promise<ScimGroupRecord> {
    const group: ScimGroupRecord = {
      ...current,
      displayName: doc.displayName as string,
      externalId: (doc.externalId as string | undefined) ?? null,
      doc,
      version: current.version + 1,
      lastModified: this.clock(),
    }
    if (!(await tx.groups.updateGroup(ctx.teamId, group, current.version)))
      throw new ScimError(409, `Group ${current.id} was changed by another request; retry`)
    return group
  }

  /** Applies the changes in order; every id must be a User of this team, or nothing is saved. */
  private async applyMembership(tx: GroupPorts, ctx: ScimContext, groupId: string, changes: readonly MembershipChange[]) {
    let added = 0
    let removed = 0
    for (const change of changes) {
      if (change.kind === 'add' || change.kind === 'set')
        await this.requireUsers(
          tx,
          ctx,
          change.members.map((m) => m.userId),
        )
      switch (change.kind) {
        case 'add':
          added += (await tx.groups.addGroupMembers(ctx.teamId, groupId, change.members)).length
          break
        case 'remove':
          removed += (await tx.groups.removeGroupMembers(ctx.teamId, groupId, { only: change.userIds })).length
          break
        case 'removeAll':
          removed += (await tx.groups.removeGroupMembers(ctx.teamId, groupId, { allBut: [] })).length
          break
        case 'set':
          removed += (await tx.groups.removeGroupMembers(ctx.teamId, groupId, { allBut: change.members.map((m) => m.userId) })).length
          added += (await tx.groups.addGroupMembers(ctx.teamId, groupId, change.members)).length
          break
      }
    }
    return { added, removed }
  }

  private async requireUsers(tx: GroupPorts, ctx: ScimContext, userIds: readonly string[]): Promise<void> {
    const found = await tx.users.existingUserIds(ctx.teamId, userIds)
    const missing = userIds.filter((id) => !found.has(id))
    if (missing.length > 0) throw unknownMembers(missing)
  }

  private write(
    ctx: ScimContext,
    action: GroupAction,
    resourceId: string | null,
    work: (tx: GroupPorts) => Promise<{ group: ScimGroupRecord; detail: string }>,
  ): Promise<ScimGroupRecord> {
    return auditedWrite(
      this.store,
      this.observe,
      ctx,
      {
        resource: 'group',
        action,
        resourceId,
        reject: (error) =>
          error instanceof StoreConflict && error.rule === 'groupDisplayName'
            ? new ScimError(409, 'A group with this displayName already exists', 'uniqueness', { cause: error })
            : undefined,
      },
      async (tx) => {
        const notes = newNotes()
        const { group, detail } = await work(watchWrites(tx, notes))
        return { value: group, entry: { outcome: 'ok', resourceId: group.id, detail }, changes: groupChanges(notes) }
      },
    )
  }
}

/** A Group body: the attributes through the validator, the members as ids (undefined when absent). */
function parseGroup(body: unknown): { doc: Record<string, unknown>; members: MemberRef[] | undefined } {
  if (!isObject(body)) throw ScimError.badRequest('invalidSyntax', 'The request body must be a JSON object')
  // Before the keys are searched and copied below (a 90,000-key body held the event loop 0.4 s).
  withinObjectSize(body, 'The resource')
  const membersKey = Object.keys(body).find(isMembersKey)
  const { [membersKey ?? '']: members, ...rest } = body
  const doc = normalizeResource(membersKey === undefined ? body : rest, groupView)
  return { doc, members: membersKey === undefined ? undefined : memberRefs(members, 'members') }
}

function unknownMembers(missing: readonly string[]): ScimError {
  return ScimError.badRequest(
    'invalidValue',
    `Members must be Users of this team; unknown: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
  )
}

function notFound(id: string): ScimError {
  return new ScimError(404, `Group ${id} not found`)
}
