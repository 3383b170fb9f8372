import type { FastifyInstance, FastifyRequest } from 'fastify'
import { principal } from './principal.js'
import { groupLocation, groupResponse, wantsMembers } from './resource-renderers.js'
import { listBody, listQuery } from './scim-list.js'
import { header, projectionOf, queryParams, resourceIdParam, searchBody } from './scim-request.js'
import { notModified, sendScim } from './scim-response.js'
import type { GroupProvisioning } from '../../../provisioning/group-provisioning.js'
import { groupView } from '../../../scim/core/group-resource.js'
import { withinObjectSize } from '../../../scim/core/resource-input.js'
import type { CursorKey } from '../../../scim/protocol/cursor.js'
import { etag } from '../../../scim/protocol/entity-tag.js'
import { parsePatchRequest } from '../../../scim/patch/index.js'

export interface GroupRouteDeps {
  groups: GroupProvisioning
  maxResults: number
  maxOperations: number
  cursorKey: CursorKey
}

/** /Groups (RFC 7644 §3.3-3.6, RFC 7643 §4.2). */
export function groupRoutes(app: FastifyInstance, deps: GroupRouteDeps): void {
  const render = groupResponse
  const list = async (request: FastifyRequest, params: Record<string, unknown>) => {
    const { query, projection, cursor } = listQuery(params, groupView, deps, principal(request).endpointId)
    const result = await deps.groups.list(principal(request), query, wantsMembers(projection))
    const resources = result.resources.map((g) => render(request, g, projection))
    return listBody(query, cursor, result.totalResults, resources, result.nextAfterId)
  }

  app.get('/Groups', async (request, reply) => sendScim(reply, 200, await list(request, queryParams(request))))
  // Each member of a SearchRequest is looked up by name: their number is capped first (resource-input.ts).
  app.post('/Groups/.search', async (request, reply) =>
    sendScim(reply, 200, await list(request, withinObjectSize(searchBody(request.body), 'The SearchRequest'))),
  )

  app.post('/Groups', async (request, reply) => {
    const projection = projectionOf(request, groupView)
    const created = await deps.groups.create(principal(request), request.body)
    const loaded = await deps.groups.get(principal(request), created.id, wantsMembers(projection))
    reply.header('location', groupLocation(request, created.id)).header('etag', etag(created.version))
    return sendScim(reply, 201, render(request, loaded, projection))
  })

  app.get('/Groups/:id', async (request, reply) => {
    const projection = projectionOf(request, groupView)
    const loaded = await deps.groups.get(principal(request), resourceIdParam(request), wantsMembers(projection))
    reply.header('etag', etag(loaded.group.version))
    if (notModified(request, loaded.group.version)) return reply.code(304).send()
    return sendScim(reply, 200, render(request, loaded, projection))
  })

  app.put('/Groups/:id', async (request, reply) => {
    const projection = projectionOf(request, groupView)
    const id = resourceIdParam(request)
    const saved = await deps.groups.replace(principal(request), id, request.body, header(request, 'if-match'))
    const loaded = await deps.groups.get(principal(request), id, wantsMembers(projection))
    reply.header('etag', etag(saved.version))
    return sendScim(reply, 200, render(request, loaded, projection))
  })

  app.patch('/Groups/:id', async (request, reply) => {
    const projection = projectionOf(request, groupView)
    const id = resourceIdParam(request)
    const operations = parsePatchRequest(request.body, { maxOperations: deps.maxOperations })
    const saved = await deps.groups.modify(principal(request), id, operations, groupLocation(request, id), header(request, 'if-match'))
    reply.header('etag', etag(saved.version))
    // RFC 7644 §3.5.2 allows 204; a group may hold more members than one response should carry, and
    // Microsoft Entra ID expects 204. The resource comes back only when attributes are asked for.
    if (!projection.selective) return reply.code(204).send()
    return sendScim(reply, 200, render(request, await deps.groups.get(principal(request), id, wantsMembers(projection)), projection))
  })

  app.delete('/Groups/:id', async (request, reply) => {
    await deps.groups.remove(principal(request), resourceIdParam(request), header(request, 'if-match'))
    return reply.code(204).send()
  })
}
