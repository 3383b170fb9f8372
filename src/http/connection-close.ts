import type { FastifyReply, FastifyRequest } from 'fastify'
import { Socket } from 'node:net'

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
export function closeAfterDraining(request: FastifyRequest, reply: FastifyReply): void {
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

export function linger(socket: Socket): void {
  const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref()
  socket.once('close', () => clearTimeout(timer))
  // The client closed its side: it has stopped sending.
  socket.once('end', () => closeWhenWritten(socket))
}

function closeWhenWritten(socket: Socket): void {
  if (socket.writableFinished) socket.destroy()
  else socket.once('finish', () => socket.destroy())
}
