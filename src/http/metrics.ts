import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { rollingTokenCheck } from '../auth/admin-token.js'
import type { OutcomeObserver } from '../provisioning/outcomes.js'
import { AdminHttpError } from './admin-error-response.js'
import type { Clock } from '../clock.js'

/**
 * The running version, read once at start from package.json: src/http/ and dist/http/ are both two
 * levels below it, and the container copies package.json beside dist/.
 */
export const BUILD_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
  .version

export interface PoolStats {
  readonly total: number
  readonly idle: number
  readonly waiting: number
}

export interface Metrics {
  readonly registry: Registry
  /** Provisioning outcomes (created, deactivated, reactivated, rejected:409, ...). */
  readonly observeOutcome: OutcomeObserver
}

/**
 * Prometheus metrics (prom-client). Labels are team-agnostic by design: the route template, never
 * an endpoint or resource id, so the series count stays small whatever the number of teams.
 */
export function createMetrics(poolStats?: () => PoolStats): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const outcomes = new Counter({
    name: 'scim_provisioning_outcomes_total',
    help: 'Provisioning outcomes by resource, action and outcome',
    labelNames: ['resource', 'action', 'outcome'] as const,
    registers: [registry],
  })
  new Gauge({
    name: 'scim_build_info',
    help: 'The running version of compound-scim (always 1)',
    labelNames: ['version'] as const,
    registers: [registry],
  }).set({ version: BUILD_VERSION }, 1)
  if (poolStats) {
    // The states partition the pool's connections, so sum() by state is the pool's size; clients
    // waiting for a connection are not connections, and have a gauge of their own.
    new Gauge({
      name: 'scim_db_pool_connections',
      help: 'PostgreSQL pool connections by state (idle or active; they sum to the open connections)',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const stats = poolStats()
        this.set({ state: 'idle' }, stats.idle)
        this.set({ state: 'active' }, stats.total - stats.idle)
      },
    })
    new Gauge({
      name: 'scim_db_pool_waiting_clients',
      help: 'Queries waiting for a PostgreSQL pool connection',
      registers: [registry],
      collect() {
        this.set(poolStats().waiting)
      },
    })
  }
  return {
    registry,
    observeOutcome: ({ resource, action, outcome }) => outcomes.inc({ resource, action, outcome }),
  }
}

/**
 * Request counts and latencies by route template, and GET /metrics (behind METRICS_TOKEN when set,
 * or during a roll METRICS_TOKEN_PREVIOUS).
 */
export function metricsRoutes(
  app: FastifyInstance,
  metrics: Metrics,
  tokenHash: string | undefined,
  previousTokenHash?: string,
  clock?: Clock,
): void {
  const metricsToken = tokenHash
    ? rollingTokenCheck({ current: tokenHash, previous: previousTokenHash }, 'a previous metrics token was used; finish the roll', clock)
    : undefined
  const requests = new Counter({
    name: 'scim_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [metrics.registry],
  })
  const latency = new Histogram({
    name: 'scim_http_request_duration_seconds',
    help: 'HTTP request latency by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  })
  // A callback hook, not an async one: no promise per request for two counter updates.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    if (route !== '/metrics') {
      requests.inc({ method: request.method, route, status: String(reply.statusCode) })
      latency.observe({ method: request.method, route }, reply.elapsedTime / 1000)
    }
    done()
  })
  app.get('/metrics', async (request, reply) => {
    if (metricsToken) {
      const presented = /^bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim()
      if (!presented || !metricsToken(presented, request.log)) {
        throw new AdminHttpError('unauthorized', 'The metrics token is missing or wrong')
      }
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
}
