import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AdminError } from '../provisioning/admin-error.js'
import { ADMIN_ERROR_STATUS, adminErrorBody, AdminHttpError, type AdminResponseCode } from './admin-error-response.js'
import { closeAfterDraining } from './connection-close.js'
import { requestScope } from './request-log.js'
import { ScimError } from '../scim/protocol/scim-error.js'
import { SCIM_CONTENT_TYPE } from '../scim/protocol/media-type.js'
import { isScimUrl } from '../scim/protocol/endpoint-url.js'
import { StoreTimeout, StoreUnavailable } from '../store/store-errors.js'

/**
 * The one error boundary. Everything thrown by a route, a hook or Fastify itself ends here and
 * leaves as the dialect's error body; a 5xx never carries internals (the cause goes to the log).
 */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const scim = isScimUrl(request.url)
  const known = classify(error)
  const scope = requestScope(request)
  // 501 is an answer (RFC 7644 §3.11, §3.7: /Me and /Bulk are not supported), not a failure of ours.
  if (known.status >= 500 && known.status !== 501) request.log.error({ ...scope, err: error }, 'request failed')
  else logRejection(request, scope, known, error)
  if (known.status === 503) reply.header('retry-after', '5')
  if (known.status === 413) closeAfterDraining(request, reply)
  if (scim) {
    const scimError = error instanceof ScimError ? error : new ScimError(known.status, known.scimDetail, known.scimType)
    if (scimError.status === 401) reply.header('www-authenticate', 'Bearer realm="SCIM"')
    void reply.code(scimError.status).type(SCIM_CONTENT_TYPE).send(scimError.toBody())
    return
  }
  // The admin dialect's status is its code's: a SCIM error reaching an admin route is an invalid_request (400).
  const status = ADMIN_ERROR_STATUS[known.adminCode]
  if (status === 401) reply.header('www-authenticate', 'Bearer')
  void reply.code(status).type('application/json; charset=utf-8').send(adminErrorBody(known.adminCode, known.adminMessage))
}

/**
 * A detail can quote what the client sent: the userName a 409 names, the filter a 400 points into,
 * the path of a 404. Info lines carry the outcome only; the detail waits at debug level.
 */
function logRejection(request: FastifyRequest, scope: ReturnType<typeof requestScope>, known: Classified, error: unknown): void {
  const code =
    error instanceof AdminError || error instanceof AdminHttpError ? error.code : (error as Partial<FastifyError> | undefined)?.code
  const scimType = error instanceof ScimError ? error.scimType : known.scimType
  request.log.info({ ...scope, status: known.status, scimType, code }, 'request rejected')
  request.log.debug({ ...scope, detail: error instanceof Error ? error.message : String(error) }, 'request rejected: detail')
}

interface Classified {
  status: number
  scimType?: ScimError['scimType']
  scimDetail: string
  adminCode: AdminResponseCode
  adminMessage: string
}

function classify(error: unknown): Classified {
  if (error instanceof ScimError) {
    const adminCode = error.status === 429 ? 'rate_limited' : 'invalid_request'
    return { status: error.status, scimDetail: error.detail, adminCode, adminMessage: error.detail }
  }
  if (error instanceof AdminError || error instanceof AdminHttpError) {
    return { status: ADMIN_ERROR_STATUS[error.code], scimDetail: error.message, adminCode: error.code, adminMessage: error.message }
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
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') {
    // A path segment longer than any id the contracts allow (app.ts, maxParamLength): RFC 9110 §15.5.15.
    const message = 'A segment of the request path is longer than any identifier this service issues or accepts'
    return { status: 414, scimDetail: message, adminCode: 'uri_too_long', adminMessage: message }
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

function unauthorized(): Classified {
  const message = 'The bearer token is missing, invalid, revoked, or not valid for this endpoint'
  return { status: 401, scimDetail: message, adminCode: 'unauthorized', adminMessage: 'A valid admin bearer token is required' }
}

/** Unknown routes answer in the dialect of the prefix they were aimed at. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0]
  handleError(
    isScimUrl(request.url)
      ? new ScimError(404, `No SCIM resource or endpoint at ${path}`)
      : new AdminHttpError('not_found', `No route ${request.method} ${path}`),
    request,
    reply,
  )
}
