import type { FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { hashesEqual, hashToken } from '../auth/tokens.js'
import type { OutcomeObserver } from '../provisioning/outcomes.js'
import { AdminError } from '../provisioning/admin-error.js'

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
  if (poolStats) {
    new Gauge({
      name: 'scim_db_pool_connections',
      help: 'PostgreSQL pool connections by state',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const stats = poolStats()
        this.set({ state: 'total' }, stats.total)
        this.set({ state: 'idle' }, stats.idle)
        this.set({ state: 'waiting' }, stats.waiting)
      },
    })
  }
  return {
    registry,
    observeOutcome: ({ resource, action, outcome }) => outcomes.inc({ resource, action, outcome }),
  }
}

/** Request counts and latencies by route template, and GET /metrics (behind METRICS_TOKEN when set). */
export function metricsRoutes(app: FastifyInstance, metrics: Metrics, tokenHash: string | undefined): void {
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
    if (tokenHash) {
      const presented = /^bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim()
      if (!presented || !hashesEqual(hashToken(presented), tokenHash)) {
        throw new AdminError('unauthorized', 'The metrics token is missing or wrong')
      }
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
}
