import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Filter } from '../scim/filter/ast.js'
import { formatAttrPath } from '../scim/filter/format.js'
import { parseFilter } from '../scim/filter/parser.js'

/**
 * One log line per request, written when it completes and carrying the request, instead of
 * Fastify's two (its "incoming request" line costs as much again and says nothing this one does
 * not). SCIM requests' lines name their team and endpoint (from the bearer check, scim-routes.ts).
 */
export class CompletedRequestLog extends LogController {
  private completed: FastifyBaseLogger | undefined

  /**
   * The completion line goes through a child of Fastify's logger without redaction: it holds only
   * what the req and res serializers pick (method, route, query shape, host, address; status) and
   * ids, none of which is a redacted path, so redacting it would cost time on every request for
   * nothing. Every other line (errors included) keeps the logger's redaction.
   */
  attach(log: FastifyBaseLogger): void {
    this.completed = log.child({}, { redact: { paths: [] } })
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { ...requestScope(request), req: request, res: reply, responseTime: reply.elapsedTime }
    // Without a logger (tests), `completed` is unset and there is nothing to write.
    if (error) request.log.error({ ...line, err: error }, 'request errored')
    else if (PROBES.has(request.routeOptions.url ?? '')) this.completed?.debug({ reqId: request.id, ...line }, 'request completed')
    else this.completed?.info({ reqId: request.id, ...line }, 'request completed')
  }
}

/** Load balancers and scrapers call these every few seconds: a line per call at info would drown the rest. */
const PROBES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics'])

/** What a log line says about a request: the `req` serializer of http/logger.ts. */
export interface RequestSummary {
  method: string | undefined
  /** The route template, e.g. /scim/v2/:endpointId/Users/:id; undefined when no route matched. */
  route: string | undefined
  query: Record<string, string | number> | undefined
  host: string | undefined
  remoteAddress: string | undefined
}

/**
 * A request as its log lines show it: the route template instead of the URL, and the query's shape
 * instead of its values. Filters carry userNames and email addresses (RFC 7644 §3.4.2.2), and ids in
 * the path are the client's to choose, so neither the URL nor a query value reaches a log line.
 */
export function requestSummary(
  request: Partial<Pick<FastifyRequest, 'method' | 'routeOptions' | 'query' | 'host' | 'ip' | 'usersReadAhead'>>,
): RequestSummary {
  return {
    method: request.method,
    route: request.routeOptions?.url,
    query: queryShape(request),
    host: request.host,
    remoteAddress: request.ip,
  }
}

/** RFC 7644 §3.4.2 parameters whose values say nothing about a person; others are named only. */
const NUMBER_PARAMS = new Set(['startindex', 'count'])
const NAME_PARAMS = new Set(['attributes', 'excludedattributes', 'sortby', 'sortorder'])
const NUMBER = /^\d{1,10}$/
/** Attribute names and URNs (RFC 7643 §2.1), comma-separated. */
const NAMES = /^[\w$:.,\s-]{0,500}$/
/** A parameter name worth writing down; anything else is counted under "[other]". */
const PARAM_NAME = /^[A-Za-z][\w-]{0,63}$/
const MAX_SHAPE_LENGTH = 500

function queryShape(request: Parameters<typeof requestSummary>[0]): Record<string, string | number> | undefined {
  const query = request.query
  if (typeof query !== 'object' || query === null) return undefined
  const entries = Object.entries(query as Record<string, unknown>)
  if (entries.length === 0) return undefined
  const shape: Record<string, string | number> = {}
  for (const [key, value] of entries) {
    const name = key.toLowerCase()
    if (!PARAM_NAME.test(key)) shape['[other]'] = '[redacted]'
    else if (typeof value !== 'string') shape[key] = '[invalid]'
    else if (name === 'filter') shape[key] = filterShape(value, request.usersReadAhead?.list.query.filter)
    else if (NUMBER_PARAMS.has(name)) shape[key] = NUMBER.test(value) ? Number(value) : '[invalid]'
    else if (NAME_PARAMS.has(name)) shape[key] = NAMES.test(value) ? value : '[invalid]'
    else shape[key] = '[redacted]'
  }
  return shape
}

/** `userName eq "a@b.example"` -> `userName eq`: attribute paths and operators, never a value. */
function filterShape(text: string, parsed: Filter | undefined): string {
  let filter = parsed
  if (!filter) {
    try {
      filter = parseFilter(text)
    } catch {
      return '[invalid]'
    }
  }
  const shape = shapeOf(filter)
  return shape.length > MAX_SHAPE_LENGTH ? `${shape.slice(0, MAX_SHAPE_LENGTH)}…` : shape
}

function shapeOf(filter: Filter): string {
  switch (filter.kind) {
    case 'compare':
      return `${formatAttrPath(filter.path)} ${filter.op}`
    case 'present':
      return `${formatAttrPath(filter.path)} pr`
    case 'not':
      return `not (${shapeOf(filter.filter)})`
    case 'valuePath':
      return `${formatAttrPath(filter.path)}[${shapeOf(filter.filter)}]`
    case 'and':
    case 'or': {
      // Parentheses wherever and/or change, so the shape reads the way the filter groups.
      const side = (operand: Filter) =>
        (operand.kind === 'and' || operand.kind === 'or') && operand.kind !== filter.kind ? `(${shapeOf(operand)})` : shapeOf(operand)
      return `${side(filter.left)} ${filter.kind} ${side(filter.right)}`
    }
  }
}

/**
 * What a request's log lines say it acted for: the team and endpoint of an authenticated SCIM
 * request (undefined otherwise; pino leaves undefined fields out).
 */
export function requestScope(request: FastifyRequest): { teamId: string | undefined; endpointId: string | undefined } {
  return { teamId: request.scim?.teamId, endpointId: request.scim?.endpointId }
}
