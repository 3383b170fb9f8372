import type { ConnectionError, FastifyInstance } from 'fastify'
import { maxHeaderSize, STATUS_CODES, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { adminErrorBody, type AdminErrorBody, type AdminResponseCode } from './admin-error-response.js'
import { linger } from './connection-close.js'
import { ScimError } from '../scim/protocol/scim-error.js'
import { SCIM_CONTENT_TYPE } from '../scim/protocol/media-type.js'
import { isScimUrl } from '../scim/protocol/endpoint-url.js'

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
