import type { FastifyInstance } from 'fastify'
import { ScimError } from '../scim/protocol/scim-error.js'

/** NUL, or a UTF-16 surrogate that is not part of a pair. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Whether any string (key or value) in a parsed JSON document holds an unstorable character. */
function hasUnstorableText(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value)
  if (depth > 64 || typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) return value.some((item) => hasUnstorableText(item, depth + 1))
  return Object.entries(value).some(([key, item]) => UNSTORABLE.test(key) || hasUnstorableText(item, depth + 1))
}

/** A body that did not parse: kept until a handler that reads bodies is reached (see below). */
export class UnparsableBody {
  constructor(readonly message: string) {}
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route never reads the body (405 answers): a malformed one must not turn the 405 into a 400. */
    ignoresBody?: boolean
  }
}

/**
 * JSON bodies under application/json and application/scim+json (RFC 7644 §3.1), parsed by
 * Fastify's own prototype-poisoning-safe parser. An empty body parses to undefined instead of
 * failing: some identity providers send a JSON content type on DELETE with no body.
 */
export function registerJsonParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  // Only JSON bodies: anything else (text/plain included, which Fastify parses by default) is a 415.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    ['application/json', 'application/scim+json'],
    { parseAs: 'string' },
    (request, body, done) => {
      if (typeof body === 'string' && body.trim() === '') {
        done(null, undefined)
        return
      }
      parseJson(request, body as string, (error, value) => {
        if (error) {
          done(null, new UnparsableBody(error.message))
          return
        }
        // PostgreSQL text cannot hold U+0000, and a lone surrogate cannot be encoded as UTF-8: refuse
        // them here, once for every route, instead of failing (or silently mangling) in the database.
        if (hasUnstorableText(value)) {
          done(null, new UnparsableBody('it contains U+0000 or an unpaired UTF-16 surrogate, which cannot be stored'))
          return
        }
        done(null, value)
      })
    },
  )
  // The method is checked before the body (Okta's SPEC test POSTs "test" to /Schemas and expects 405).
  app.addHook('preHandler', async (request) => {
    if (request.body instanceof UnparsableBody && !request.routeOptions.config.ignoresBody) {
      throw ScimError.badRequest('invalidSyntax', `The request body is not valid JSON: ${request.body.message}`)
    }
  })
}
