/**
 * SCIM resources as a response shows them: rendered with their meta.location (and their members' and
 * groups' `$ref`) under the request's endpoint URL, then projected to the attributes asked for.
 */
import type { FastifyRequest } from 'fastify'
import { endpointUrl, principal } from './principal.js'
import type { GroupWithMembers } from '../../../provisioning/group-provisioning.js'
import type { UserProvisioning } from '../../../provisioning/user-provisioning.js'
import { MAX_GROUPS_RETURNED } from '../../../scim/limits.js'
import { renderGroup } from '../../../scim/core/group-resource.js'
import type { Projection } from '../../../scim/core/projection.js'
import { renderUser } from '../../../scim/core/user-resource.js'
import type { ScimUserRecord } from '../../../store/records.js'

/** The URL of a User of the request's endpoint: its Location header and meta.location. */
export const userLocation = (request: FastifyRequest, id: string) => `${endpointUrl(request)}/Users/${id}`

/** The URL of a Group of the request's endpoint: its Location header and meta.location. */
export const groupLocation = (request: FastifyRequest, id: string) => `${endpointUrl(request)}/Groups/${id}`

/**
 * Users as this request's response shows them: locations, `groups` when asked for (one query for
 * all of them, at most `budget.remaining` groups in all, which it spends), then the projection.
 */
export async function userResponses(
  request: FastifyRequest,
  users: readonly ScimUserRecord[],
  projection: Projection,
  provisioning: UserProvisioning,
  budget = { remaining: MAX_GROUPS_RETURNED },
): Promise<Record<string, unknown>[]> {
  // `groups` is returned on request only (schemas.ts), so it is read only when asked for.
  const groups =
    projection.shows('groups') && users.length > 0
      ? await provisioning.groupsOf(
          principal(request),
          users.map((u) => u.id),
          budget.remaining,
        )
      : undefined
  for (const list of groups?.values() ?? []) budget.remaining -= list.length
  return users.map((user) =>
    projection.apply(
      renderUser(
        user,
        userLocation(request, user.id),
        groups?.get(user.id)?.map((g) => ({ ...g, location: groupLocation(request, g.value) })),
      ),
    ),
  )
}

/** Whether a projection returns `members`: when it does not, the member rows are never read. */
export function wantsMembers(projection: Projection): boolean {
  return projection.shows('members')
}

/** A Group as this request's response shows it: locations, members when loaded, then the projection. */
export function groupResponse(
  request: FastifyRequest,
  { group, members }: GroupWithMembers,
  projection: Projection,
): Record<string, unknown> {
  return projection.apply(renderGroup(group, groupLocation(request, group.id), members, (id) => userLocation(request, id)))
}
