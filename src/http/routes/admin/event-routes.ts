import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { parseInput, teamIdParam } from './admin-input.js'
import { decodeCursor, encodeCursor, FEED_START, renderChangeEvent } from '../../../events/change-event.js'
import type { ChangeFeed } from '../../../events/change-feed.js'
import { WebhookUrl } from '../../../events/webhook-url.js'
import { AdminError } from '../../../provisioning/admin-error.js'
import type { EventStore, WebhookEndpointState } from '../../../store/event-store.js'
import type { AccountStore } from '../../../store/account-store.js'

/** The longest long poll: under the 60 s idle timeouts of common proxies and load balancers. */
export const MAX_FEED_WAIT_SECONDS = 30

const FeedQuery = z.strictObject({
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  wait: z.coerce.number().min(0).max(MAX_FEED_WAIT_SECONDS).default(0),
})

export interface EventRouteDeps {
  store: AccountStore
  feed: ChangeFeed
  events: EventStore
  /** Whether this deployment delivers webhooks (WEBHOOK_SECRET set), and to which service URL. */
  webhooks: { enabled: boolean; serviceUrl?: string | undefined }
}

const WebhookBody = z.strictObject({ url: WebhookUrl })

function renderState(state: WebhookEndpointState, serviceUrl: string | undefined) {
  return {
    channel: state.channel,
    url: state.channel === 'service' ? (serviceUrl ?? null) : state.url,
    cursor: encodeCursor(state.position),
    pending: state.pending,
    oldestPendingAt: state.oldestPendingAt?.toISOString() ?? null,
    delivered: state.delivered,
    lastDeliveredAt: state.lastDeliveredAt?.toISOString() ?? null,
    failedAttempts: state.attempts,
    nextAttemptAt: state.attempts > 0 ? state.nextAttemptAt.toISOString() : null,
    lastFailureAt: state.lastFailureAt?.toISOString() ?? null,
    lastError: state.lastError,
  }
}

/**
 * The change feed (issue #17), behind the admin credential like the rest of /internal/v1: every
 * team's events, or one team's, oldest first, after an opaque cursor, with long polling (`wait`).
 */
export async function eventRoutes(app: FastifyInstance, deps: EventRouteDeps): Promise<void> {
  const read = async (teamId: string | undefined, query: unknown, raw: { once(event: 'close', listener: () => void): unknown }) => {
    const { after, limit, wait } = parseInput(FeedQuery, query, 'query')
    const position = after === undefined ? FEED_START : decodeCursor(after)
    if (position === undefined) throw new AdminError('invalid_request', 'Invalid query: after: not a cursor this feed gave out')
    const gone = new AbortController()
    raw.once('close', () => gone.abort())
    const events = await deps.feed.read({ teamId, after: position, limit, waitMs: wait * 1000, abort: gone.signal })
    return {
      events: events.map(renderChangeEvent),
      // Where to continue: after the last event, or where the follower was when there is none yet.
      nextCursor: encodeCursor(events.at(-1)?.id ?? position),
    }
  }

  // The response's close: the client hung up before the answer (a request's own 'close' fires once it is read).
  app.get('/events', async (request, reply) => read(undefined, request.query, reply.raw))

  const team = async (params: unknown) => {
    const teamId = teamIdParam(params)
    if (!(await deps.store.getTeam(teamId))) throw new AdminError('team_not_found', `Team ${teamId} does not exist`)
    return teamId
  }

  app.get('/teams/:teamId/events', async (request, reply) => read(await team(request.params), request.query, reply.raw))

  const states = async (teamId: string) => ({
    deliveryEnabled: deps.webhooks.enabled,
    endpoints: (await deps.events.webhookStates(teamId)).map((state) => renderState(state, deps.webhooks.serviceUrl)),
  })

  /** The team's own webhook URL; its events are delivered there as well as to WEBHOOK_URL. */
  app.put('/teams/:teamId/webhook', async (request) => {
    const teamId = await team(request.params)
    const { url } = parseInput(WebhookBody, request.body, 'body')
    await deps.events.setTeamWebhook(teamId, url)
    return states(teamId)
  })

  app.delete('/teams/:teamId/webhook', async (request, reply) => {
    await deps.events.setTeamWebhook(await team(request.params), null)
    return reply.code(204).send()
  })

  /** Each endpoint's delivery state: position, events pending, the last success and failure. */
  app.get('/teams/:teamId/webhooks', async (request) => states(await team(request.params)))
}
