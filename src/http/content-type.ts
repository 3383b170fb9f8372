import type { FastifyInstance } from 'fastify'
import { MAX_OBJECT_KEYS } from '../scim/limits.js'
import { ScimError } from '../scim/protocol/scim-error.js'
import { UNSTORABLE } from '../scim/core/unstorable.js'
import { holdsObjectLargerThan } from './object-members.js'

/**
 * Whether a parsed body holds text PostgreSQL cannot store, in a name or a value. Its objects are
 * already known to be small (holdsObjectLargerThan ran on the text), so the walk is bounded by the body.
 */
function holdsUnstorable(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value)
  if (depth > 64 || typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) return value.some((item) => holdsUnstorable(item, depth + 1))
  for (const key in value) {
    if (UNSTORABLE.test(key) || holdsUnstorable((value as Record<string, unknown>)[key], depth + 1)) return true
  }
  return false
}

/** A body that did not parse: kept until a handler that reads bodies is reached (see below). */
export class UnparsableBody {
  constructor(readonly message: string) {}
}

/**
 * A body holding an object of more than MAX_OBJECT_KEYS members (the cap resource-input.ts applies to
 * each object it reads): 400 invalidValue, refused before it is parsed.
 */
class OversizedObject {}

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
  app.addContentTypeParser(['application/json', 'application/scim+json'], { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') {
      done(null, undefined)
      return
    }
    if (holdsObjectLargerThan(body as string, MAX_OBJECT_KEYS)) {
      done(null, new OversizedObject())
      return
    }
    // The default parser answers through the callback and returns nothing: there is no promise to await.
    void parseJson(request, body as string, (error, value) => {
      if (error) {
        done(null, new UnparsableBody(error.message))
        return
      }
      // PostgreSQL text cannot hold U+0000, and a lone surrogate cannot be encoded as UTF-8: refuse
      // them here, once for every route, instead of failing (or silently mangling) in the database.
      if (holdsUnstorable(value)) {
        done(null, new UnparsableBody('it contains U+0000 or an unpaired UTF-16 surrogate, which cannot be stored'))
        return
      }
      done(null, value)
    })
  })
  // The method is checked before the body (Okta's SPEC test POSTs "test" to /Schemas and expects 405).
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.config.ignoresBody) return
    if (request.body instanceof UnparsableBody) {
      throw ScimError.badRequest('invalidSyntax', `The request body is not valid JSON: ${request.body.message}`)
    }
    if (request.body instanceof OversizedObject) {
      throw ScimError.badRequest(
        'invalidValue',
        `The request body holds an object of more than ${MAX_OBJECT_KEYS} members, more than any SCIM resource has attributes`,
      )
    }
  })
}
