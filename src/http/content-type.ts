import type { FastifyInstance } from 'fastify'
import { ScimError } from '../scim/protocol/scim-error.js'

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
          done(ScimError.badRequest('invalidSyntax', `The request body is not valid JSON: ${error.message}`), undefined)
          return
        }
        done(null, value)
      })
    },
  )
}
