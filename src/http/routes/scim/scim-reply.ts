import type { FastifyReply, FastifyRequest } from 'fastify'
import { SCIM_CONTENT_TYPE } from '../../../scim/protocol/media-type.js'
import { ScimError } from '../../../scim/protocol/scim-error.js'

/** Sends a SCIM body with the SCIM media type (RFC 7644 §3.1, §8.1). */
export function sendScim(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(SCIM_CONTENT_TYPE).send(body)
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
