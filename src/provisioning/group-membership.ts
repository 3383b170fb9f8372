import { isObject } from '../scim/core/resource-input.js'
import { getMember } from '../scim/core/resource-members.js'
import { isUuid } from '../scim/core/uuid.js'
import { SCIM11_URN, URN } from '../scim/core/schemas.js'
import { MAX_MEMBERS_PER_REQUEST } from '../scim/limits.js'
import type { Filter } from '../scim/filter/ast.js'
import type { PatchOperation } from '../scim/patch/index.js'
import { ScimError } from '../scim/protocol/scim-error.js'

/**
 * Group membership changes, kept apart from the other attributes because members are rows: a PATCH
 * that adds ten thousand members becomes one insert, not a rewritten list. The shapes identity
 * providers send for a member all reduce to a User id here.
 */
export type MembershipChange =
  | { readonly kind: 'add'; readonly members: readonly MemberRef[] }
  | { readonly kind: 'remove'; readonly userIds: readonly string[] }
  | { readonly kind: 'removeAll' }
  | { readonly kind: 'set'; readonly members: readonly MemberRef[] }

/** A member as sent: the User id, and the display name the client gave it (kept as sent, RFC 7643 §4.2). */
export interface MemberRef {
  readonly userId: string
  readonly display: string | null
}

/** The Group schema's URNs, SCIM 2.0 and the 1.1 core some clients still send (test/http/groups.test.ts). */
const GROUP_URNS = new Set([URN.group.toLowerCase(), SCIM11_URN.core])
const MEMBERS_KEYS = new Set(['members', ...[...GROUP_URNS].map((urn) => `${urn}:members`)])

/** A key naming the Group's `members` in a body or a no-path PATCH value: bare, or qualified with a Group schema URN. */
export function isMembersKey(key: string): boolean {
  return MEMBERS_KEYS.has(key.toLowerCase())
}

/**
 * The User ids of a members value. Accepted shapes: `{"value": id}` (Okta omits `type`),
 * `{"$ref": null, "value": id}` (Microsoft Entra ID), a bare id string (Microsoft's test collection),
 * and a single member instead of a list. Replayed in test/http/groups.test.ts ("member shapes").
 */
export function memberRefs(value: unknown, where: string): MemberRef[] {
  if (value === null || value === undefined) return []
  const list = Array.isArray(value) ? value : [value]
  if (list.length > MAX_MEMBERS_PER_REQUEST) {
    throw ScimError.badRequest(
      'invalidValue',
      `${where}: at most ${MAX_MEMBERS_PER_REQUEST} members per request; send the rest in further requests`,
    )
  }
  const refs = new Map<string, MemberRef>()
  for (const member of list) {
    const id = typeof member === 'string' ? member : isObject(member) ? getMember(member, 'value') : undefined
    if (typeof id !== 'string' || !isUuid(id.trim())) {
      throw ScimError.badRequest(
        'invalidValue',
        `${where}: ${JSON.stringify(id ?? member)?.slice(0, 80)} is not the id of a User of this team`,
      )
    }
    // Microsoft's test collection names the member with "displayName" rather than "display".
    const display = isObject(member) ? (getMember(member, 'display') ?? getMember(member, 'displayName')) : undefined
    const userId = id.trim().toLowerCase()
    if (!refs.has(userId)) refs.set(userId, { userId, display: typeof display === 'string' && display.trim() !== '' ? display : null })
  }
  return [...refs.values()]
}

export function memberIds(value: unknown, where: string): string[] {
  return memberRefs(value, where).map((ref) => ref.userId)
}

/** True when a PATCH operation targets `members` (by path, or as a key of a no-path value). */
export function splitMembership(operations: readonly PatchOperation[]): { membership: MembershipChange[]; attributes: PatchOperation[] } {
  const membership: MembershipChange[] = []
  const attributes: PatchOperation[] = []
  for (const operation of operations) {
    const where = `Operation ${operation.index + 1} (${operation.op} ${operation.rawPath ?? 'without path'})`
    if (operation.path) {
      const { path, valueFilter, subAttr } = operation.path
      if (
        path.attr.toLowerCase() !== 'members' ||
        path.subAttr !== undefined ||
        (path.urn !== undefined && !GROUP_URNS.has(path.urn.toLowerCase()))
      ) {
        attributes.push(operation)
        continue
      }
      membership.push(pathChange(operation, valueFilter, subAttr, where))
      continue
    }
    if (!isObject(operation.value)) {
      attributes.push(operation)
      continue
    }
    const membersKey = Object.keys(operation.value).find(isMembersKey)
    if (membersKey === undefined) {
      attributes.push(operation)
      continue
    }
    const { [membersKey]: members, ...rest } = operation.value
    const refs = memberRefs(members, where)
    membership.push(operation.op === 'replace' ? { kind: 'set', members: refs } : { kind: 'add', members: refs })
    if (Object.keys(rest).length > 0) attributes.push({ ...operation, value: rest })
  }
  return { membership, attributes }
}

function pathChange(
  operation: PatchOperation,
  valueFilter: Filter | undefined,
  subAttr: string | undefined,
  where: string,
): MembershipChange {
  if (subAttr !== undefined) {
    throw ScimError.badRequest('invalidPath', `${where}: members are changed whole; use "members" or members[value eq "id"]`)
  }
  if (valueFilter) {
    if (operation.op !== 'remove') {
      throw ScimError.badRequest('invalidPath', `${where}: add and replace take the path "members" with a list of members`)
    }
    return { kind: 'remove', userIds: idsOfFilter(valueFilter, where) }
  }
  switch (operation.op) {
    case 'add':
      return { kind: 'add', members: memberRefs(operation.value, where) }
    case 'replace':
      return { kind: 'set', members: memberRefs(operation.value, where) }
    case 'remove':
      // Microsoft Entra ID removes listed members with path "members" and a value list, not all of them.
      return operation.value === undefined || operation.value === null
        ? { kind: 'removeAll' }
        : { kind: 'remove', userIds: memberIds(operation.value, where) }
  }
}

/** `members[value eq "a" or value eq "b"]`: the ids named; any other filter shape is refused. */
function idsOfFilter(filter: Filter, where: string): string[] {
  if (filter.kind === 'or') return [...idsOfFilter(filter.left, where), ...idsOfFilter(filter.right, where)]
  const { path } = filter.kind === 'compare' ? filter : { path: undefined }
  if (filter.kind === 'compare' && filter.op === 'eq' && path?.attr.toLowerCase() === 'value' && !path.urn && !path.subAttr) {
    return memberIds([filter.value], where)
  }
  throw ScimError.badRequest('invalidFilter', `${where}: a members filter selects members by id: members[value eq "id"]`)
}
