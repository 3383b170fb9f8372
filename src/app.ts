import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { randomBytes, randomUUID } from 'node:crypto'
import type { RandomSource } from './auth/tokens.js'
import { registerJsonParsers } from './http/content-type.js'
import { handleClientError } from './http/client-errors.js'
import { handleError, handleNotFound } from './http/errors.js'
import { metricsRoutes, type Metrics } from './http/metrics.js'
import { registerRateLimit, type RateLimitOptions } from './http/rate-limit.js'
import { CompletedRequestLog } from './http/request-log.js'
import { adminRoutes } from './http/routes/admin/admin-routes.js'
import { healthRoutes } from './http/routes/health.js'
import { scimRoutes } from './http/routes/scim/scim-routes.js'
import { systemClock, type Clock } from './clock.js'
import { ScimConnections } from './provisioning/scim-connections.js'
import { GroupProvisioning } from './provisioning/group-provisioning.js'
import { TeamDirectory } from './provisioning/team-directory.js'
import { UserProvisioning } from './provisioning/user-provisioning.js'
import { SERVICE_LIMITS } from './scim/limits.js'
import { SCIM_ROUTE_PREFIX } from './scim/protocol/endpoint-url.js'
import type { Stores } from './store/stores.js'
import type { EventStore } from './store/event-store.js'
import { ChangeFeed } from './events/change-feed.js'
import type { ChangeSignal } from './events/change-signal.js'

export interface AppDeps {
  store: Stores
  /** Readiness: resolves when the database answers and is migrated. */
  ping: () => Promise<void>
  /** True once the process is shutting down: /readyz answers 503 so load balancers stop routing here. */
  draining?: () => boolean
  /** SHA-256 hex of the admin API token (configured or generated at first start). */
  adminTokenHash: string
  /** SHA-256 hex of ADMIN_API_TOKEN_PREVIOUS: also accepted while a new admin token is rolled out. */
  adminTokenPreviousHash?: string | undefined
  /** No trailing slash. The origin identity providers reach; see `baseUrlFromRequest`. */
  publicBaseUrl: string
  /**
   * Behind a TLS-terminating proxy (Fastify's trustProxy: true, a hop count, or addresses): the
   * client address and protocol come from X-Forwarded-* headers.
   */
  trustProxy?: boolean | string
  /**
   * Build URLs from the request's (forwarded) protocol and host instead of `publicBaseUrl`: for a
   * proxied deployment without PUBLIC_BASE_URL, so Location and meta.location say https://.
   */
  baseUrlFromRequest?: boolean
  /**
   * Prometheus metrics; GET /metrics needs this token (SHA-256 hex) when set, or during a roll the
   * previous one (METRICS_TOKEN_PREVIOUS).
   */
  metrics?: { metrics: Metrics; tokenHash?: string | undefined; previousTokenHash?: string | undefined }
  /** Per-token request limits; none when absent (tests). */
  rateLimit?: RateLimitOptions
  /** Serve TLS directly with this certificate and key (PEM). */
  https?: { cert: string | Buffer; key: string | Buffer }
  /** A pino logger (http/logger.ts); none in tests. */
  logger?: FastifyBaseLogger
  clock?: Clock
  random?: RandomSource
  /**
   * Signs list cursors (RFC 9865): CURSOR_SECRET or the key kept in the database (auth/cursor-key.ts),
   * so every replica accepts the others' cursors. Absent (tests): a random key for this process.
   */
  cursorKey?: Buffer | string
  /**
   * The change feed: its store, and the signal commits wake long polls with. Absent, the
   * feed and webhook routes are not served.
   */
  events?: {
    store: EventStore
    signal: ChangeSignal
    /** The process's feed, shared with its webhook deliverer; absent, one of the app's own. */
    feed?: ChangeFeed
    pollMs?: number
    /** Whether webhooks are delivered (WEBHOOK_SECRET), and WEBHOOK_URL: shown with each endpoint's state. */
    webhooks?: { enabled: boolean; serviceUrl?: string | undefined }
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The public origin for URLs in this response (endpoint URLs, Location, meta.location). */
    publicBaseUrl: string
  }
}

/** Builds the service without listening: what tests import and what server.ts runs. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const clock = deps.clock ?? systemClock
  const random = deps.random ?? randomBytes
  const requestLog = new CompletedRequestLog()
  const app = Fastify(<FastifyServerOptions>{
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    logController: requestLog,
    ...(deps.https ? { https: deps.https } : {}),
    ...(deps.trustProxy !== undefined ? { trustProxy: deps.trustProxy } : {}),
    // A caller's X-Request-Id is kept when it is short and printable (it ends up in logs); else one is made.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id']
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID()
    },
    // IdPs join the endpoint URL (which ends in "/") and resource paths in different ways:
    // "//Users", "/Users/" and "/users" must all reach the same route.
    // The longest path parameter the contracts allow is a team id (128 characters, admin-input.ts);
    // endpoint ids (32 hex), resource ids (UUIDs) and schema URNs are shorter. Longer is a 414 (errors.ts).
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 128 },
    // The router's own refusals (a bad URL encoding, an over-long segment) and what Node's HTTP parser
    // refuses (431, 414, 408, 400) leave in the URL's dialect too.
    frameworkErrors: handleError,
    clientErrorHandler: handleClientError,
    bodyLimit: SERVICE_LIMITS.maxPayloadSize,
    // Well under Entra's 60-second limit: a request must arrive within 30 s, and its database work is
    // bounded by the statement timeout (10 s) and the pool's connection timeout (5 s).
    requestTimeout: 30_000,
    connectionTimeout: 35_000,
  })
  if (deps.logger) requestLog.attach(app.log)
  registerJsonParsers(app)
  app.decorateRequest('publicBaseUrl', '')
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    request.publicBaseUrl = deps.baseUrlFromRequest ? `${request.protocol}://${request.host}` : deps.publicBaseUrl
  })
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  if (deps.rateLimit) await registerRateLimit(app, deps.rateLimit)
  // Long polls end at once when the server closes, instead of holding the drain for their whole wait.
  if (deps.events) {
    const { signal } = deps.events
    app.addHook('preClose', (done) => {
      signal.close()
      done()
    })
  }

  const directory = new TeamDirectory(deps.store)
  const connections = new ScimConnections(deps.store, random, clock)

  healthRoutes(app, deps.ping, deps.draining)
  if (deps.metrics) metricsRoutes(app, deps.metrics.metrics, deps.metrics.tokenHash, deps.metrics.previousTokenHash, clock)
  const observe = deps.metrics?.metrics.observeOutcome
  await app.register(adminRoutes, {
    prefix: '/internal/v1',
    adminTokenHash: deps.adminTokenHash,
    adminTokenPreviousHash: deps.adminTokenPreviousHash,
    clock,
    directory,
    connections,
    ...(deps.events
      ? {
          events: {
            store: deps.store.accounts,
            events: deps.events.store,
            feed: deps.events.feed ?? new ChangeFeed(deps.events.store, deps.events.signal, { pollMs: deps.events.pollMs ?? 1_000 }),
            webhooks: deps.events.webhooks ?? { enabled: false },
          },
        }
      : {}),
  })
  await app.register(scimRoutes, {
    prefix: SCIM_ROUTE_PREFIX,
    store: deps.store,
    clock,
    users: new UserProvisioning(deps.store, clock, observe ? { observe } : {}),
    groups: new GroupProvisioning(deps.store, clock, observe ? { observe } : {}),
    limits: SERVICE_LIMITS,
    cursorKey: deps.cursorKey ?? random(32),
  })
  return app
}
