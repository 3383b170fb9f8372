import type { ResourceSchemaView } from './resource-input.js'
import { commonAttributes, groupSchema, URN } from './schemas.js'
import type { StoredResource } from './user-resource.js'
import { etag } from '../protocol/entity-tag.js'

export const groupView: ResourceSchemaView = { core: groupSchema, extensions: [], common: commonAttributes }

/** A member as returned (RFC 7643 §4.2): the User's id, its location and its display name. */
export interface GroupMember {
  readonly value: string
  readonly display: string
}

/**
 * The Group as returned (RFC 7643 §4.2). `members` is undefined when it was not loaded
 * (excludedAttributes=members), and then absent from the resource.
 */
export function renderGroup(
  group: StoredResource,
  location: string,
  members: readonly GroupMember[] | undefined,
  userLocation: (id: string) => string,
): Record<string, unknown> {
  const { externalId, ...attributes } = group.doc
  return {
    schemas: [URN.group],
    id: group.id,
    ...(externalId !== undefined ? { externalId } : {}),
    ...attributes,
    ...(members && members.length > 0
      ? { members: members.map((m) => ({ value: m.value, $ref: userLocation(m.value), display: m.display, type: 'User' })) }
      : {}),
    meta: {
      resourceType: 'Group',
      created: group.created.toISOString(),
      lastModified: group.lastModified.toISOString(),
      location,
      version: etag(group.version),
    },
  }
}
