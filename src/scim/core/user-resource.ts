import type { ResourceSchemaView } from './resource-input.js'
import { commonAttributes, enterpriseUserSchema, URN, userSchema } from './schemas.js'
import { etag } from '../protocol/entity-tag.js'

export const userView: ResourceSchemaView = {
  core: userSchema,
  extensions: [enterpriseUserSchema],
  common: commonAttributes,
}

/** What rendering needs from a stored user; the store's record satisfies it. */
export interface StoredResource {
  readonly id: string
  readonly doc: Record<string, unknown>
  readonly version: number
  readonly created: Date
  readonly lastModified: Date
}

/**
 * The User as returned (RFC 7643 §4.1, §3.1): schemas listing the extensions in use, id, the
 * stored attributes, and meta with the resource's location and version.
 */
export function renderUser(
  user: StoredResource,
  location: string,
  groups?: readonly { value: string; display: string; location: string }[],
): Record<string, unknown> {
  const { externalId, ...attributes } = user.doc
  const schemas: string[] = [URN.user]
  if (attributes[URN.enterpriseUser]) schemas.push(URN.enterpriseUser)
  return {
    schemas,
    id: user.id,
    ...(externalId !== undefined ? { externalId } : {}),
    ...attributes,
    ...(groups && groups.length > 0
      ? { groups: groups.map((g) => ({ value: g.value, $ref: g.location, display: g.display, type: 'direct' })) }
      : {}),
    meta: {
      resourceType: 'User',
      created: user.created.toISOString(),
      lastModified: user.lastModified.toISOString(),
      location,
      version: etag(user.version),
    },
  }
}
