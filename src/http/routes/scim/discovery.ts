import type { FastifyInstance } from 'fastify'
import { endpointUrl } from './principal.js'
import { resourceIdParam } from './scim-request.js'
import { sendScim } from './scim-response.js'
import { RESOURCE_TYPES, resourceTypeDocument, SCHEMAS, schemaDocument, serviceProviderConfig } from '../../../scim/core/discovery.js'
import type { ServiceLimits } from '../../../scim/limits.js'
import { listResponse } from '../../../scim/protocol/list-response.js'
import { ScimError } from '../../../scim/protocol/scim-error.js'

/** RFC 7644 §4: the discovery endpoints, read-only (other methods are 405). */
export function discoveryRoutes(app: FastifyInstance, deps: { limits: ServiceLimits }): void {
  const base = endpointUrl

  app.get('/ServiceProviderConfig', async (request, reply) =>
    sendScim(reply, 200, serviceProviderConfig(deps.limits, `${base(request)}/ServiceProviderConfig`)),
  )

  app.get('/ResourceTypes', async (request, reply) => {
    const documents = RESOURCE_TYPES.map((type) => resourceTypeDocument(type, base(request)))
    return sendScim(reply, 200, listResponse(documents.length, 1, documents))
  })

  app.get('/ResourceTypes/:id', async (request, reply) => {
    const id = resourceIdParam(request)
    const type = RESOURCE_TYPES.find((t) => t.id.toLowerCase() === id.toLowerCase())
    if (!type) throw new ScimError(404, `Resource type ${id} not found`)
    return sendScim(reply, 200, resourceTypeDocument(type, base(request)))
  })

  app.get('/Schemas', async (request, reply) => {
    const documents = SCHEMAS.map((schema) => schemaDocument(schema, base(request)))
    return sendScim(reply, 200, listResponse(documents.length, 1, documents))
  })

  app.get('/Schemas/:id', async (request, reply) => {
    const id = resourceIdParam(request)
    const schema = SCHEMAS.find((s) => s.id.toLowerCase() === id.toLowerCase())
    if (!schema) throw new ScimError(404, `Schema ${id} not found`)
    return sendScim(reply, 200, schemaDocument(schema, base(request)))
  })

  for (const url of ['/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/:id', '/Schemas', '/Schemas/:id']) {
    app.route({
      method: ['POST', 'PUT', 'PATCH', 'DELETE'],
      url,
      config: { ignoresBody: true },
      handler: async (request) => {
        throw new ScimError(405, `${request.method} is not supported on ${url.split('/:')[0]}: discovery endpoints are read-only`)
      },
    })
  }
}
