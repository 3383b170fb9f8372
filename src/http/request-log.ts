import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'

/**
 * One log line per request, written when it completes and carrying the request, instead of
 * Fastify's two (its "incoming request" line costs as much again and says nothing this one does
 * not). SCIM requests' lines name their team and endpoint (from the bearer check, scim-routes.ts).
 */
export class CompletedRequestLog extends LogController {
  private completed: FastifyBaseLogger | undefined

  /**
   * The completion line goes through a child of Fastify's logger without redaction: it holds only
   * what the req and res serializers pick (method, url, host, address; status) and ids, none of
   * which is a redacted path, so redacting it would cost time on every request for nothing.
   * Every other line (errors included) keeps the logger's redaction.
   */
  attach(log: FastifyBaseLogger): void {
    this.completed = log.child({}, { redact: { paths: [] } })
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { ...requestScope(request), req: request, res: reply, responseTime: reply.elapsedTime }
    // Without a logger (tests), `completed` is unset and there is nothing to write.
    if (error) request.log.error({ ...line, err: error }, 'request errored')
    else this.completed?.info({ reqId: request.id, ...line }, 'request completed')
  }
}

/**
 * What a request's log lines say it acted for: the team and endpoint of an authenticated SCIM
 * request (undefined otherwise; pino leaves undefined fields out).
 */
export function requestScope(request: FastifyRequest): { teamId: string | undefined; endpointId: string | undefined } {
  return { teamId: request.scim?.teamId, endpointId: request.scim?.endpointId }
}
