import type { FastifyInstance, FastifyRequest } from 'fastify'
import {
  header,
  listBody,
  listQuery,
  notModified,
  projectionOf,
  queryParams,
  searchBody,
  sendScim,
  type ParsedListRequest,
} from './scim-reply.js'
import { principal } from './scim-routes.js'
import { MAX_GROUPS_RETURNED, type UserProvisioning } from '../../../provisioning/user-provisioning.js'
import type { Projection } from '../../../scim/core/projection.js'
import type { CursorKey } from '../../../scim/protocol/cursor.js'
import { withinObjectSize } from '../../../scim/core/resource-input.js'
import { etag, renderUser, userView } from '../../../scim/core/user-resource.js'
import { applyPatch, parsePatchRequest } from '../../../scim/patch/index.js'
import type { ListResult, ScimUserRecord } from '../../../store/team-store.js'

export interface UserRouteDeps {
  users: UserProvisioning
  maxResults: number
  maxOperations: number
  cursorKey: CursorKey
}

const location = (request: FastifyRequest, id: string) => `${request.publicBaseUrl}/scim/v2/${principal(request).endpointId}/Users/${id}`

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
  const groupLocation = (id: string) => `${request.publicBaseUrl}/scim/v2/${principal(request).endpointId}/Groups/${id}`
  return users.map((user) =>
    projection.apply(
      renderUser(
        user,
        location(request, user.id),
        groups?.get(user.id)?.map((g) => ({ ...g, location: groupLocation(g.value) })),
      ),
    ),
  )
}

/** /Users (RFC 7644 §3.3-3.6). Handlers parse, call provisioning, and render. */
export function userRoutes(app: FastifyInstance, deps: UserRouteDeps): void {
  const render = async (request: FastifyRequest, user: ScimUserRecord, projection: Projection) =>
    (await userResponses(request, [user], projection, deps.users))[0]!
  const list = async (
    request: FastifyRequest,
    { query, projection, cursor }: ParsedListRequest,
    readAhead?: ListResult<ScimUserRecord>,
  ) => {
    const result = readAhead ?? (await deps.users.list(principal(request), query))
    const resources = await userResponses(request, result.resources, projection, deps.users)
    return listBody(query, cursor, result.totalResults, resources, result.nextAfterId)
  }
  // Before the bearer check (usersReadAhead) there is no principal yet: the endpoint comes from the path.
  const parsedQuery = (request: FastifyRequest) =>
    listQuery(queryParams(request), userView, deps, (request.params as { endpointId: string }).endpointId)

  // The lookups IdPs make before every write come this way: the bearer check reads them with the token.
  const usersReadAhead = (request: FastifyRequest) => {
    try {
      return parsedQuery(request)
    } catch {
      return undefined // reported by the handler, after the bearer check: a stranger gets a 401, not a 400
    }
  }
  app.get('/Users', { config: { usersReadAhead } }, async (request, reply) => {
    const ahead = request.usersReadAhead
    return sendScim(reply, 200, await list(request, ahead?.list ?? parsedQuery(request), ahead?.users))
  })

  // Each member of a SearchRequest is looked up by name: their number is capped first (resource-input.ts).
  const search = (request: FastifyRequest) =>
    listQuery(withinObjectSize(searchBody(request.body), 'The SearchRequest'), userView, deps, principal(request).endpointId)
  app.post('/Users/.search', async (request, reply) => sendScim(reply, 200, await list(request, search(request))))

  app.post('/Users', async (request, reply) => {
    const projection = projectionOf(request, userView)
    const { user } = await deps.users.create(principal(request), request.body)
    reply.header('location', location(request, user.id)).header('etag', etag(user.version))
    return sendScim(reply, 201, await render(request, user, projection))
  })

  app.get('/Users/:id', async (request, reply) => {
    const projection = projectionOf(request, userView)
    const user = await deps.users.get(principal(request), (request.params as { id: string }).id)
    reply.header('etag', etag(user.version))
    if (notModified(request, user.version)) return reply.code(304).send()
    return sendScim(reply, 200, await render(request, user, projection))
  })

  app.put('/Users/:id', async (request, reply) => {
    const projection = projectionOf(request, userView)
    const id = (request.params as { id: string }).id
    const user = await deps.users.replace(principal(request), id, request.body, header(request, 'if-match'))
    reply.header('etag', etag(user.version))
    return sendScim(reply, 200, await render(request, user, projection))
  })

  app.patch('/Users/:id', async (request, reply) => {
    const projection = projectionOf(request, userView)
    const id = (request.params as { id: string }).id
    const operations = parsePatchRequest(request.body, { maxOperations: deps.maxOperations })
    const user = await deps.users.modify(
      principal(request),
      id,
      (resource) => applyPatch(resource, operations, userView),
      location(request, id),
      header(request, 'if-match'),
    )
    reply.header('etag', etag(user.version))
    return sendScim(reply, 200, await render(request, user, projection))
  })

  app.delete('/Users/:id', async (request, reply) => {
    await deps.users.remove(principal(request), (request.params as { id: string }).id, header(request, 'if-match'))
    return reply.code(204).send()
  })
}
