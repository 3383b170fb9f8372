import type { FastifyInstance } from 'fastify'

/**
 * /healthz: the process answers. /readyz: the database answers and is migrated, and the process is
 * not shutting down (503 otherwise). While draining, /healthz stays 200: the process is alive and
 * finishing its requests, and a liveness probe must not kill it for that.
 */
export function healthRoutes(app: FastifyInstance, ping: () => Promise<void>, draining: () => boolean = () => false): void {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (request, reply) => {
    if (draining()) return reply.code(503).send({ status: 'unavailable', reason: 'shutting down' })
    try {
      await ping()
      return { status: 'ready' }
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed')
      return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable or not migrated' })
    }
  })
}
