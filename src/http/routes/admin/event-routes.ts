import type { FastifyInstance, FastifyReply } from 'fastify'
import { z } from 'zod'
import { generateWebhookSecret } from '../../../auth/tokens.js'
import { parseInput, teamIdParam } from './admin-input.js'
import { decodeCursor, encodeCursor, FEED_START, renderChangeEvent } from '../../../events/change-event.js'
import { FeedBusy, type ChangeFeed } from '../../../events/change-feed.js'
import { WebhookUrl } from '../../../events/webhook-url.js'
import { AdminError } from '../../../provisioning/admin-error.js'
import { AdminHttpError } from '../../admin-error-response.js'
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

const WebhookBody = z.strictObject({ url: WebhookUrl, rotateSecret: z.boolean().default(false) })

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
 * The change feed, behind the admin credential like the rest of /internal/v1: every
 * team's events, or one team's, oldest first, after an opaque cursor, with long polling (`wait`).
 */
export async function eventRoutes(app: FastifyInstance, deps: EventRouteDeps): Promise<void> {
  const read = async (teamId: string | undefined, query: unknown, reply: FastifyReply) => {
    const { after, limit, wait } = parseInput(FeedQuery, query, 'query')
    const position = after === undefined ? FEED_START : decodeCursor(after)
    if (position === undefined) throw new AdminError('invalid_request', 'Invalid query: after: not a cursor this feed gave out')
    const gone = new AbortController()
    // The response's close: the client hung up before the answer (a request's own 'close' fires once it is read).
    reply.raw.once('close', () => gone.abort())
    try {
      const page = await deps.feed.read({ teamId, after: position, limit, waitMs: wait * 1000, abort: gone.signal })
      // Where to continue: after the last event of a full page, else as far as nothing can still appear.
      return { events: page.events.map(renderChangeEvent), nextCursor: encodeCursor(page.through) }
    } catch (error) {
      if (!(error instanceof FeedBusy)) throw error
      void reply.header('retry-after', '1')
      throw new AdminHttpError(
        'rate_limited',
        `${error.message}: retry in a second, or follow GET /internal/v1/events for every team at once`,
      )
    }
  }

  app.get('/events', async (request, reply) => read(undefined, request.query, reply))

  const team = async (params: unknown) => {
    const teamId = teamIdParam(params)
    if (!(await deps.store.getTeam(teamId))) throw new AdminError('team_not_found', `Team ${teamId} does not exist`)
    return teamId
  }

  app.get('/teams/:teamId/events', async (request, reply) => read(await team(request.params), request.query, reply))

  const states = async (teamId: string) => ({
    deliveryEnabled: deps.webhooks.enabled,
    endpoints: (await deps.events.webhookStates(teamId)).map((state) => renderState(state, deps.webhooks.serviceUrl)),
  })

  /**
   * The team's own webhook URL; its events are delivered there as well as to WEBHOOK_URL, signed with
   * the endpoint's own secret, shown in this response only when issued (a new URL, or rotateSecret).
   */
  app.put('/teams/:teamId/webhook', async (request) => {
    const teamId = await team(request.params)
    const { url, rotateSecret } = parseInput(WebhookBody, request.body, 'body')
    const newSecret = generateWebhookSecret()
    const { secretIssued } = await deps.events.setTeamWebhook(teamId, url, { newSecret, rotateSecret })
    return { ...(await states(teamId)), ...(secretIssued ? { secret: newSecret } : {}) }
  })

  app.delete('/teams/:teamId/webhook', async (request, reply) => {
    await deps.events.removeTeamWebhook(await team(request.params))
    return reply.code(204).send()
  })

  /** Each endpoint's delivery state: position, events pending, the last success and failure. */
  app.get('/teams/:teamId/webhooks', async (request) => states(await team(request.params)))
}
