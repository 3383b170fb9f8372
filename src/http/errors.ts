import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AdminError } from '../provisioning/admin-error.js'
import { requestScope } from './request-log.js'
import { ScimError } from '../scim/protocol/scim-error.js'
import { SCIM_CONTENT_TYPE } from '../scim/protocol/media-type.js'
import { StoreTimeout, StoreUnavailable } from '../store/team-store.js'

/** Which error dialect a URL speaks: SCIM (RFC 7644 §3.12) or the admin API's `{error: {code, message}}`. */
function isScimUrl(url: string): boolean {
  return /^\/+scim\//i.test(url)
}

/**
 * The one error boundary. Everything thrown by a route, a hook or Fastify itself ends here and
 * leaves as the dialect's error body; a 5xx never carries internals (the cause goes to the log).
 */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const scim = isScimUrl(request.url)
  const known = classify(error)
  const scope = requestScope(request)
  if (known.status >= 500) request.log.error({ ...scope, err: error }, 'request failed')
  else request.log.info({ ...scope, err: error instanceof Error ? { message: error.message, code: (error as FastifyError).code } : error }, 'request rejected')
  if (known.status === 503) reply.header('retry-after', '5')
  if (scim) {
    const scimError =
      error instanceof ScimError ? error : new ScimError(known.status, known.scimDetail, known.scimType)
    if (scimError.status === 401) reply.header('www-authenticate', 'Bearer realm="SCIM"')
    void reply.code(scimError.status).type(SCIM_CONTENT_TYPE).send(scimError.toBody())
    return
  }
  const adminError = error instanceof AdminError ? error : new AdminError(known.adminCode, known.adminMessage)
  if (adminError.status === 401) reply.header('www-authenticate', 'Bearer')
  void reply.code(adminError.status).type('application/json; charset=utf-8').send(adminError.toBody())
}

interface Classified {
  status: number
  scimType?: ScimError['scimType']
  scimDetail: string
  adminCode: AdminError['code']
  adminMessage: string
}

function classify(error: unknown): Classified {
  if (error instanceof ScimError) {
    const adminCode = error.status === 429 ? 'rate_limited' : 'invalid_request'
    return { status: error.status, scimDetail: error.detail, adminCode, adminMessage: error.detail }
  }
  if (error instanceof AdminError) {
    return { status: error.status, scimDetail: error.message, adminCode: error.code, adminMessage: error.message }
  }
  if (error instanceof StoreUnavailable || error instanceof StoreTimeout) {
    const message = 'The service cannot reach its database; retry later'
    return { status: 503, scimDetail: message, adminCode: 'service_unavailable', adminMessage: message }
  }
  const fastifyError = error as Partial<FastifyError>
  const code = fastifyError.code ?? ''
  if (code.startsWith('FST_BEARER_AUTH')) {
    return unauthorized()
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const message = 'The request body is larger than this service accepts'
    return { status: 413, scimDetail: message, adminCode: 'payload_too_large', adminMessage: message }
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    const message = 'The request body must be application/scim+json or application/json'
    return { status: 415, scimType: 'invalidSyntax', scimDetail: message, adminCode: 'unsupported_media_type', adminMessage: message }
  }
  const status = fastifyError.statusCode
  if (status && status >= 400 && status < 500) {
    // Fastify's own client errors: malformed JSON, bad headers, schema validation.
    const message = `The request is malformed: ${fastifyError.message ?? 'bad request'}`
    return { status: 400, scimType: 'invalidSyntax', scimDetail: message, adminCode: 'invalid_request', adminMessage: message }
  }
  const message = 'An unexpected error occurred; it has been logged'
  return { status: 500, scimDetail: message, adminCode: 'internal_error', adminMessage: message }
}

export function unauthorized(): Classified {
  const message = 'The bearer token is missing, invalid, revoked, or not valid for this endpoint'
  return { status: 401, scimDetail: message, adminCode: 'unauthorized', adminMessage: 'A valid admin bearer token is required' }
}

/** Unknown routes answer in the dialect of the prefix they were aimed at. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0]
  handleError(
    isScimUrl(request.url)
      ? new ScimError(404, `No SCIM resource or endpoint at ${path}`)
      : new AdminError('not_found', `No route ${request.method} ${path}`),
    request,
    reply,
  )
}
