import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { compileProjection, type Projection } from '../../../scim/core/projection.js'
import type { ResourceSchemaView } from '../../../scim/core/resource-input.js'
import { ScimError } from '../../../scim/protocol/scim-error.js'

/**
 * The path parameters of the SCIM routes. The router always fills a route's own parameters with
 * strings, so a failed parse is a route declared without them: a bug, answered 500.
 */
const EndpointParams = z.object({ endpointId: z.string() })
const ResourceParams = z.object({ id: z.string() })

/** The `:endpointId` of the path, for the bearer check and for what runs before it (no principal yet). */
export function endpointIdParam(request: FastifyRequest): string {
  return EndpointParams.parse(request.params).endpointId
}

/** The `:id` of a resource or discovery route (`/Users/:id`, `/Schemas/:id`). */
export function resourceIdParam(request: FastifyRequest): string {
  return ResourceParams.parse(request.params).id
}

/** A single header value, or undefined; repeated headers are joined as HTTP allows for lists. */
export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value.join(',') : value
}

/** Query parameters arrive as strings (or arrays when repeated): one value each, or a 400. */
export function queryParams(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(value)) throw ScimError.badRequest('invalidValue', `The query parameter "${key}" is given more than once`)
    if (typeof value === 'string') out[key] = value
  }
  return out
}

/** `attributes` / `excludedAttributes` of the query string, resolved against the schema before any work. */
export function projectionOf(request: FastifyRequest, view: ResourceSchemaView): Projection {
  const params = queryParams(request)
  return compileProjection({ attributes: params.attributes, excludedAttributes: params.excludedAttributes }, view)
}

/** RFC 7644 §3.4.3 SearchRequest body; no body at all searches everything, anything not an object is a 400. */
export function searchBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {}
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw ScimError.badRequest('invalidSyntax', 'The search request body must be a JSON object (a SearchRequest)')
  }
  return body as Record<string, unknown>
}
