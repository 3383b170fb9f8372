import type { FastifyInstance } from 'fastify'
import { MAX_OBJECT_KEYS } from '../scim/limits.js'
import { ScimError } from '../scim/protocol/scim-error.js'
import { UNSTORABLE } from '../scim/core/unstorable.js'

/**
 * What makes a parsed body unusable before any route looks at it: text PostgreSQL cannot store, or an
 * object with more members than any SCIM resource has attributes. Checked in one pass that stops at
 * the first problem, so a 1 MiB body of 90,000 keys costs its parse and a thousand steps, not a walk
 * of every key (the cap is the same one resource-input.ts applies to each object it reads).
 */
function bodyProblem(value: unknown, depth = 0): 'unstorable' | 'tooManyKeys' | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? 'unstorable' : undefined
  if (depth > 64 || typeof value !== 'object' || value === null) return undefined
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = bodyProblem(item, depth + 1)
      if (problem) return problem
    }
    return undefined
  }
  let keys = 0
  for (const key in value) {
    if (++keys > MAX_OBJECT_KEYS) return 'tooManyKeys'
    if (UNSTORABLE.test(key)) return 'unstorable'
    const problem = bodyProblem((value as Record<string, unknown>)[key], depth + 1)
    if (problem) return problem
  }
  return undefined
}

/** A body that did not parse: kept until a handler that reads bodies is reached (see below). */
export class UnparsableBody {
  constructor(readonly message: string) {}
}

/** A body holding an object of more than MAX_OBJECT_KEYS members: 400 invalidValue, like resource-input.ts says it. */
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
    // The default parser answers through the callback and returns nothing: there is no promise to await.
    void parseJson(request, body as string, (error, value) => {
      if (error) {
        done(null, new UnparsableBody(error.message))
        return
      }
      // PostgreSQL text cannot hold U+0000, and a lone surrogate cannot be encoded as UTF-8: refuse
      // them here, once for every route, instead of failing (or silently mangling) in the database.
      const problem = bodyProblem(value)
      if (problem === 'unstorable') {
        done(null, new UnparsableBody('it contains U+0000 or an unpaired UTF-16 surrogate, which cannot be stored'))
        return
      }
      done(null, problem === 'tooManyKeys' ? new OversizedObject() : value)
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
