import type { FastifyInstance } from 'fastify'

/** /healthz: the process answers. /readyz: the database answers and is migrated (503 otherwise). */
export function healthRoutes(app: FastifyInstance, ping: () => Promise<void>): void {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (request, reply) => {
    try {
      await ping()
      return { status: 'ready' }
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed')
      return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable or not migrated' })
    }
  })
}
