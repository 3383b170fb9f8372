import bearerAuth from '@fastify/bearer-auth'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { verifyScimToken, type ScimPrincipal } from '../../../auth/scim-credentials.js'
import { discoveryRoutes } from './discovery.js'
import type { ParsedListRequest } from './scim-reply.js'
import { groupRoutes } from './groups.js'
import { rootSearchRoutes } from './root-search.js'
import { userRoutes } from './users.js'
import type { Clock } from '../../../provisioning/clock.js'
import type { GroupProvisioning } from '../../../provisioning/group-provisioning.js'
import type { UserProvisioning } from '../../../provisioning/user-provisioning.js'
import type { ServiceLimits } from '../../../scim/core/discovery.js'
import type { ListResult, ScimUserRecord, TeamStore } from '../../../store/team-store.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the SCIM bearer check: the team and endpoint this request acts for. */
    scim?: ScimPrincipal
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
  store: TeamStore
  clock: Clock
  users: UserProvisioning
  groups: GroupProvisioning
  limits: ServiceLimits
}

/** The principal of an authenticated SCIM request; the routes below only run after the bearer check. */
export function principal(request: FastifyRequest): ScimPrincipal {
  if (!request.scim) throw new Error('SCIM route reached without authentication')
  return request.scim
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
      const { endpointId } = request.params as { endpointId: string }
      const list = request.routeOptions.config.usersReadAhead?.(request)
      const verified = await verifyScimToken(deps.store, token, endpointId, deps.clock, list?.query)
      if (!verified) return false
      const found = verified.principal
      request.scim = found
      if (list) request.usersReadAhead = { list, users: verified.users }
      // The request's own logger (Fastify makes one per request) takes the team: a child of it per
      // request would make each request's logger a prototype, which V8 pays for on every request.
      const log = request.log as typeof request.log & { setBindings?: (bindings: Record<string, string>) => void }
      if (log.setBindings) log.setBindings({ teamId: found.teamId, endpointId: found.endpointId })
      else request.log = request.log.child({ teamId: found.teamId, endpointId: found.endpointId })
      return true
    },
    errorResponse: (error: Error) => ({ error: error.message }),
  })
  // preParsing: after the rate limit (a route-level onRequest hook, so floods of bad tokens are
  // counted) and before the body is read (no parsing for unauthenticated callers).
  app.addHook('preParsing', (request, reply, payload, done) =>
    app.verifyBearerAuth!(request, reply, (error?: Error) => {
      // The response log line ("request completed") comes from reply.log: give it the team too.
      if (!error) reply.log = request.log
      done(error, payload)
    }),
  )

  discoveryRoutes(app, { limits: deps.limits })
  userRoutes(app, {
    users: deps.users,
    maxResults: deps.limits.maxResults,
    maxOperations: deps.limits.maxOperations,
  })
  rootSearchRoutes(app, { users: deps.users, groups: deps.groups, maxResults: deps.limits.maxResults })
  groupRoutes(app, {
    groups: deps.groups,
    maxResults: deps.limits.maxResults,
    maxOperations: deps.limits.maxOperations,
  })
}
