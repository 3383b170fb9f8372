import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { maxHeaderSize, STATUS_CODES, type ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { AdminError } from '../provisioning/admin-error.js'
import { ADMIN_ERROR_STATUS, adminErrorBody, AdminHttpError, type AdminErrorBody, type AdminResponseCode } from './admin-error-response.js'
import { requestScope } from './request-log.js'
import { ScimError } from '../scim/protocol/scim-error.js'
import { SCIM_CONTENT_TYPE } from '../scim/protocol/media-type.js'
import { isScimUrl } from '../scim/protocol/endpoint-url.js'
import { StoreTimeout, StoreUnavailable } from '../store/team-store.js'

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
      : new AdminHttpError('not_found', `No route ${request.method} ${path}`),
    request,
    reply,
  )
}

/**
 * RFC 9112 §9.6: closing a connection while the client is still sending makes the kernel answer with a
 * reset, which can reach the client before it has read the response (Node's fetch then reports EPIPE
 * instead of the 413). So such a connection closes in stages: its write half after the response, then
 * what the client still sends is read and discarded, for LINGER_MS or LINGER_BYTES at most.
 */
const LINGER_MS = 10_000
const LINGER_BYTES = 64 * 1024 * 1024
/**
 * Connections of this process draining a refused body at once, at most. A 413 needs no token (a POST
 * to an unknown path gets one), and each drain holds a connection for up to LINGER_MS: without a cap,
 * anyone could keep thousands open. Past it, a 413's connection is destroyed once the response is
 * written, as Node does by default; a client that writes before it reads may then see a reset.
 */
export const MAX_DRAINING = 32
const draining = new Set<Socket>()

/** A 413 is sent before the body is read: the rest of it is drained after the response (see LINGER_MS). */
function closeAfterDraining(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('connection', 'close')
  const socket = request.raw.socket
  if (!(socket instanceof Socket)) return // app.inject: no connection to close
  if (draining.size >= MAX_DRAINING && !draining.has(socket)) return
  draining.add(socket)
  socket.once('close', () => draining.delete(socket))
  // Node ends a `Connection: close` response with socket.destroySoon(), which destroys the socket as soon
  // as the response is written, unread body and all: here only the write half closes, and linger() and
  // the drain below decide when the rest goes.
  socket.destroySoon = () => socket.end()
  linger(socket)
  let drained = 0
  const drain = (chunk: Buffer) => {
    drained += chunk.length
    if (drained <= LINGER_BYTES) return
    request.raw.off('data', drain)
    closeWhenWritten(socket)
  }
  request.raw.on('data', drain)
  request.raw.once('end', () => closeWhenWritten(socket))
  request.raw.resume()
}

function linger(socket: Socket): void {
  const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref()
  socket.once('close', () => clearTimeout(timer))
  // The client closed its side: it has stopped sending.
  socket.once('end', () => closeWhenWritten(socket))
}

function closeWhenWritten(socket: Socket): void {
  if (socket.writableFinished) socket.destroy()
  else socket.once('finish', () => socket.destroy())
}

/** The request target at the start of a raw request, if the bytes hold one. */
const REQUEST_LINE = /^[A-Z]+ (\S+)/

/**
 * Fastify's clientErrorHandler: what Node's HTTP parser rejects before any request exists, answered with
 * a raw response in the dialect of the URL (RFC 7644 §3.12 under /scim/, the admin shape elsewhere).
 * Headers over Node's maxHeaderSize (16 KiB, request line included) are 431 (RFC 6585 §5), or 414
 * (RFC 9110 §15.5.15) when the request line alone is that long; a request not received within
 * requestTimeout is 408; anything else 400.
 *
 * Node gives no URL here. It is read from the in-flight response's request when the headers had been
 * parsed, else from the bytes the parser failed on (`rawPacket`), which begin with the request line
 * only when the client sent the head in one piece. When neither holds it, the body carries both
 * dialects' fields (a SCIM error with an admin `error` member), so either kind of client can read it.
 */
export function handleClientError(this: FastifyInstance | undefined, error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  // Answered already: the parser fails again on every piece the client still sends while the
  // connection lingers.
  if (!socket.writable) return
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
  if (inFlight?.headersSent) {
    socket.destroy()
    return
  }
  const packet = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1', 0, 64 * 1024) : ''
  const line = REQUEST_LINE.exec(packet)
  const target = inFlight?.req?.url ?? line?.[1]
  const lineLength = packet.includes('\r\n') ? packet.indexOf('\r\n') : packet.length
  const status =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? line && lineLength >= maxHeaderSize
        ? 414
        : 431
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 408
        : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
          ? 413
          : 400
  const { scimError, adminBody } = connectionError(status)
  const [contentType, body] =
    target === undefined
      ? ['application/json; charset=utf-8', { ...scimError.toBody(), ...adminBody }]
      : isScimUrl(target)
        ? [SCIM_CONTENT_TYPE, scimError.toBody()]
        : ['application/json; charset=utf-8', adminBody]
  const text = JSON.stringify(body)
  this?.log.debug({ code: error.code, status }, 'connection rejected')
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  )
  linger(socket)
}

function connectionError(status: number): { scimError: ScimError; adminBody: AdminErrorBody } {
  const [message, adminCode]: [string, AdminResponseCode] =
    status === 414
      ? ['The request line is longer than this service accepts', 'uri_too_long']
      : status === 431
        ? ['The request headers are larger than this service accepts (16 KiB in all)', 'headers_too_large']
        : status === 408
          ? ['The request did not arrive in time; retry', 'request_timeout']
          : status === 413
            ? ['The request body is larger than this service accepts', 'payload_too_large']
            : ['The request is not valid HTTP/1.1', 'invalid_request']
  return {
    scimError: new ScimError(status, message, status === 400 ? 'invalidSyntax' : undefined),
    adminBody: adminErrorBody(adminCode, message),
  }
}
