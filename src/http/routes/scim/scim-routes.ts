import bearerAuth from '@fastify/bearer-auth'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { verifyScimToken } from '../../../auth/scim-credentials.js'
import { discoveryRoutes } from './discovery.js'
import { groupRoutes } from './groups.js'
import { rootSearchRoutes } from './root-search.js'
import type { ParsedListRequest } from './scim-list.js'
import { endpointIdParam } from './scim-request.js'
import { userRoutes } from './users.js'
import type { Clock } from '../../../clock.js'
import type { GroupProvisioning } from '../../../provisioning/group-provisioning.js'
import type { UserProvisioning } from '../../../provisioning/user-provisioning.js'
import type { ServiceLimits } from '../../../scim/limits.js'
import type { CursorKey } from '../../../scim/protocol/cursor.js'
import { ScimError } from '../../../scim/protocol/scim-error.js'
import type { ListResult, ScimUserRecord } from '../../../store/records.js'
import type { Ports } from '../../../store/stores.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the SCIM bearer check on a route with `usersReadAhead`: the list it read with the token. */
    usersReadAhead?: UsersReadAhead
  }
  interface FastifyContextConfig {
    /**
     * A route answering a list of Users names it here (undefined when the request does not parse):
     * the bearer check then reads it in the token's own round trip where the store can.
     */
    usersReadAhead?: (request: FastifyRequest) => ParsedListRequest | undefined
  }
}

/** A list request as the route parsed it, and the users read with the token (undefined: not read). */
export interface UsersReadAhead {
  readonly list: ParsedListRequest
  readonly users: ListResult<ScimUserRecord> | undefined
}

export interface ScimRouteDeps {
  store: Pick<Ports, 'credentials' | 'connections'>
  clock: Clock
  users: UserProvisioning
  groups: GroupProvisioning
  limits: ServiceLimits
  /** Signs list cursors (RFC 9865); the same on every replica. */
  cursorKey: CursorKey
}

/** Everything under /scim/v2/:endpointId: the bearer check, then the resources. */
export async function scimRoutes(app: FastifyInstance, deps: ScimRouteDeps): Promise<void> {
  await app.register(bearerAuth, {
    keys: [],
    addHook: false,
    // RFC 6750 names the scheme "Bearer", but some IdPs send "bearer": accept any case.
    specCompliance: 'rfc6749',
    verifyErrorLogLevel: 'info',
    auth: async (token: string, request: FastifyRequest) => {
      const endpointId = endpointIdParam(request)
      const list = request.routeOptions.config.usersReadAhead?.(request)
      const verified = await verifyScimToken(deps.store, token, endpointId, deps.clock, list?.query)
      if (!verified) return false
      // Log lines name the team from here on (request-log.ts reads it): not bound into the logger,
      // which would re-serialise its bindings on every request for the rare line that needs them.
      request.scim = verified.principal
      if (list) request.usersReadAhead = { list, users: verified.users }
      return true
    },
    errorResponse: (error: Error) => ({ error: error.message }),
  })
  // preParsing: after the rate limit (a route-level onRequest hook, so floods of bad tokens are
  // counted) and before the body is read (no parsing for unauthenticated callers).
  app.addHook('preParsing', (request, reply, payload, done) =>
    app.verifyBearerAuth!(request, reply, (error?: Error) => done(error, payload)),
  )

  discoveryRoutes(app, { limits: deps.limits })
  userRoutes(app, {
    users: deps.users,
    maxResults: deps.limits.maxResults,
    maxOperations: deps.limits.maxOperations,
    cursorKey: deps.cursorKey,
  })
  rootSearchRoutes(app, { users: deps.users, groups: deps.groups, maxResults: deps.limits.maxResults })
  groupRoutes(app, {
    groups: deps.groups,
    maxResults: deps.limits.maxResults,
    maxOperations: deps.limits.maxOperations,
    cursorKey: deps.cursorKey,
  })
  unsupportedRoutes(app)
}

/**
 * Endpoints RFC 7644 defines and this service does not offer answer 501 (after the bearer check, like
 * every SCIM route) rather than 404, which an identity provider could read as a missing resource.
 */
function unsupportedRoutes(app: FastifyInstance): void {
  // RFC 7644 §3.11: "If the service provider does not support /Me, it SHOULD respond with 501".
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/Me',
    config: { ignoresBody: true },
    handler: async () => {
      throw new ScimError(501, '/Me is not supported: requests are made by an identity provider, not a user; use /Users/{id}')
    },
  })
  // RFC 7644 §3.7: /ServiceProviderConfig says bulk.supported is false.
  app.post('/Bulk', { config: { ignoresBody: true } }, async () => {
    throw new ScimError(
      501,
      'Bulk operations are not supported (bulk.supported is false in /ServiceProviderConfig); send each operation on its own',
    )
  })
}
