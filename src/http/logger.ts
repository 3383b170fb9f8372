import { pino, type DestinationStream, type Level, type Logger } from 'pino'
import { errorForLog } from './error-log.js'
import { requestSummary } from './request-log.js'

/** Paths never written to logs in any form: tokens travel in these. */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers["x-admin-token"]', 'token', '*.token', 'body.password']

/**
 * The service's logger (server.ts; the bench builds the same one): JSON lines to standard output,
 * or `stream`, tokens redacted. A request is written as its route and query shape, never its URL
 * (request-log.ts): this serializer replaces Fastify's, which writes the URL with its query string.
 * Errors are written without the data a failed statement carried (error-log.ts).
 * Each line is written before the call returns (pino's default);
 * buffering them (pino's asynchronous mode) measured no faster in `npm run bench` on two cores, and
 * would lose the buffer in a hard kill.
 */
export function createLogger(level: Level | 'silent', stream?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { req: requestSummary, err: errorForLog } }
  return stream ? pino(options, stream) : pino(options)
}
