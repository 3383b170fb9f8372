import type { FastifyReply, FastifyRequest } from 'fastify'
import { header } from './scim-request.js'
import { ifNoneMatchHits } from '../../../scim/protocol/entity-tag.js'
import { SCIM_CONTENT_TYPE } from '../../../scim/protocol/media-type.js'

/** Sends a SCIM body with the SCIM media type (RFC 7644 §3.1, §8.1). */
export function sendScim(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(SCIM_CONTENT_TYPE).send(body)
}

/** RFC 7644 §3.14: If-None-Match naming the current version (or *) makes a GET a 304. */
export function notModified(request: FastifyRequest, version: number): boolean {
  const ifNoneMatch = header(request, 'if-none-match')
  return ifNoneMatch !== undefined && ifNoneMatchHits(ifNoneMatch, version)
}
