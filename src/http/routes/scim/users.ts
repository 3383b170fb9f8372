import type { FastifyInstance, FastifyRequest } from 'fastify'
import { principal } from './principal.js'
import { userLocation, userResponses } from './resource-renderers.js'
import { listBody, listQuery, type ParsedListRequest } from './scim-list.js'
import { endpointIdParam, header, projectionOf, queryParams, resourceIdParam, searchBody } from './scim-request.js'
import { notModified, sendScim } from './scim-response.js'
import type { UserProvisioning } from '../../../provisioning/user-provisioning.js'
import type { Projection } from '../../../scim/core/projection.js'
import type { CursorKey } from '../../../scim/protocol/cursor.js'
import { withinObjectSize } from '../../../scim/core/resource-input.js'
import { userView } from '../../../scim/core/user-resource.js'
import { etag } from '../../../scim/protocol/entity-tag.js'
import { applyPatch, parsePatchRequest } from '../../../scim/patch/index.js'
import type { ListResult, ScimUserRecord } from '../../../store/records.js'

export interface UserRouteDeps {
  users: UserProvisioning
  maxResults: number
  maxOperations: number
  cursorKey: CursorKey
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
  const parsedQuery = (request: FastifyRequest) => listQuery(queryParams(request), userView, deps, endpointIdParam(request))

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
    reply.header('location', userLocation(request, user.id)).header('etag', etag(user.version))
    return sendScim(reply, 201, await render(request, user, projection))
  })

  app.get('/Users/:id', async (request, reply) => {
    const projection = projectionOf(request, userView)
    const user = await deps.users.get(principal(request), resourceIdParam(request))
    reply.header('etag', etag(user.version))
    if (notModified(request, user.version)) return reply.code(304).send()
    return sendScim(reply, 200, await render(request, user, projection))
  })

  app.put('/Users/:id', async (request, reply) => {
    const projection = projectionOf(request, userView)
    const id = resourceIdParam(request)
    const user = await deps.users.replace(principal(request), id, request.body, header(request, 'if-match'))
    reply.header('etag', etag(user.version))
    return sendScim(reply, 200, await render(request, user, projection))
  })

  app.patch('/Users/:id', async (request, reply) => {
    const projection = projectionOf(request, userView)
    const id = resourceIdParam(request)
    const operations = parsePatchRequest(request.body, { maxOperations: deps.maxOperations })
    const user = await deps.users.modify(
      principal(request),
      id,
      (resource) => applyPatch(resource, operations, userView),
      userLocation(request, id),
      header(request, 'if-match'),
    )
    reply.header('etag', etag(user.version))
    return sendScim(reply, 200, await render(request, user, projection))
  })

  app.delete('/Users/:id', async (request, reply) => {
    await deps.users.remove(principal(request), resourceIdParam(request), header(request, 'if-match'))
    return reply.code(204).send()
  })
}
