import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { Webhook } from 'standardwebhooks'
import { renderChangeEvent, type ChangeEvent } from './change-event.js'
import { ChangeFeed } from './change-feed.js'
import type { ChangeSignal } from './change-signal.js'
import { systemClock, type Clock } from '../clock.js'
import type { ClaimedEndpoint, EventStore, WebhookChannel } from '../store/event-store.js'

export interface WebhookObserver {
  delivered(channel: WebhookChannel, lagSeconds: number): void
  failed(channel: WebhookChannel): void
}

export interface DelivererOptions {
  readonly events: EventStore
  /** This process's feed: endpoints that caught up wait on it for the next commit, with its long polls (absent: one of its own). */
  readonly feed?: ChangeFeed
  readonly signal: ChangeSignal
  /** WEBHOOK_URL: every team's events go there (the service channel). */
  readonly serviceUrl?: string | undefined
  /** WEBHOOK_SECRET (whsec_ and base64, the Standard Webhooks form): signs the service channel, and team URLs set before each had its own. */
  readonly secret: string
  /** One delivery's limit (WEBHOOK_TIMEOUT_MS); the lease outlasts it. */
  readonly timeoutMs: number
  readonly log: { info(details: object, message: string): void; warn(details: object, message: string): void }
  readonly observe?: WebhookObserver
  /** Endpoints delivered at once by this replica. */
  readonly concurrency?: number
  /** How often to look for work without a wake-up (ms). */
  readonly pollMs?: number
  /** The wait before attempt `attempts + 1` after `attempts` failures (ms). */
  readonly backoffMs?: (attempts: number) => number
  /** When to look for new teams' WEBHOOK_URL rows, and sweep for every team's (tests pin it). */
  readonly clock?: Clock
}

/** Endpoints one replica delivers at once by default. */
const DEFAULT_CONCURRENCY = 64

/** 1 s, 2 s, 4 s ... doubling up to 5 minutes, with up to 20% jitter so receivers coming back are not hit in step. */
export function exponentialBackoff(attempts: number): number {
  const base = Math.min(300_000, 1_000 * 2 ** Math.min(attempts - 1, 20))
  return Math.round(base * (1 + Math.random() * 0.2))
}

/**
 * WEBHOOK_URL's endpoint rows are made by each replica: every second for the teams created in the last
 * two minutes (an index range), and every ten minutes for every team (teams made while it could not look).
 */
const ENSURE_EVERY_MS = 1_000
const RECENT_TEAMS_MS = 120_000
const SWEEP_EVERY_MS = 600_000

/** Events delivered to one endpoint before its lease is given back, so that other endpoints get their turn. */
const EVENTS_PER_LEASE = 500

/**
 * How long an endpoint that caught up keeps its lease, waiting for the team's next commit, while
 * this replica has a free slot: a busy team's next event goes out on the commit's wake-up instead of
 * after a new claim (three statements). Well under a third of the shortest lease.
 */
const HOLD_MS = 1_000

/**
 * Webhook delivery, on every replica. Each endpoint (a team's service or team channel)
 * is leased by one replica at a time (claimed FOR UPDATE SKIP LOCKED, store/pg/pg-event-store.ts),
 * which posts its events one by one in feed order and moves the endpoint's cursor (renewing the lease) after each batch of 2xx:
 * at least once, in order per team. A failure keeps the cursor, gives the lease back and schedules
 * the next attempt with exponential backoff, without end: a receiver down for an hour gets
 * everything when it is back (retention permitting). A replica that dies mid-delivery leaves its
 * lease to run out; the next one posts the same event again, with the same webhook-id. Each delivery
 * is signed per the Standard Webhooks specification (webhook-id, webhook-timestamp, webhook-signature).
 */
export class WebhookDeliverer {
  private readonly owner = randomUUID()
  /** Signers by secret: WEBHOOK_SECRET's and each team URL's own. */
  private readonly signers = new Map<string, Webhook>()
  /** Kept-alive connections to the receivers: one per endpoint in delivery, with room for those closing. */
  private readonly agents: { http: HttpAgent; https: HttpsAgent }
  /** Deliveries in progress, one per endpoint held. */
  private readonly active = new Set<Promise<void>>()
  private readonly stopping = new AbortController()
  private running: Promise<void> | undefined
  private lastEnsured = 0
  private lastSwept = 0

  private readonly feed: ChangeFeed

  constructor(private readonly options: DelivererOptions) {
    const slots = options.concurrency ?? DEFAULT_CONCURRENCY
    this.agents = {
      http: new HttpAgent({ keepAlive: true, maxSockets: 4 * slots }),
      https: new HttpsAgent({ keepAlive: true, maxSockets: 4 * slots }),
    }
    // Each delivery in progress listens on it (its feed wait, its post): up to one per slot, and more is no leak.
    setMaxListeners(4 * slots, this.stopping.signal)
    this.feed = options.feed ?? new ChangeFeed(options.events, options.signal, { pollMs: options.pollMs ?? 1_000 })
  }

  private signer(endpoint: ClaimedEndpoint): Webhook {
    const secret = endpoint.secret ?? this.options.secret
    let signer = this.signers.get(secret)
    if (!signer) {
      // A handful of team secrets change at a time; the map is cleared rather than grown without end.
      if (this.signers.size > 10_000) this.signers.clear()
      this.signers.set(secret, (signer = new Webhook(secret)))
    }
    return signer
  }

  private get leaseMs(): number {
    return this.options.timeoutMs * 2 + 5_000
  }

  private get channels(): WebhookChannel[] {
    return this.options.serviceUrl ? ['service', 'team'] : ['team']
  }

  start(): void {
    this.running ??= this.loop()
  }

  /** Shutdown: stops claiming, aborts posts in flight and gives their leases back (another replica resends them). */
  async stop(): Promise<void> {
    this.stopping.abort()
    await this.running
    this.closeConnections()
  }

  /**
   * Keeps up to `concurrency` endpoints in delivery: whenever one is done, or a commit wakes it, it
   * claims more; with nothing to deliver it waits for a wake-up or the poll interval.
   */
  private async loop(): Promise<void> {
    const { events, signal, log, pollMs = 1_000, concurrency = DEFAULT_CONCURRENCY } = this.options
    const active = this.active
    while (!this.stopping.signal.aborted && !signal.isClosed) {
      let claimed = 0
      try {
        // WEBHOOK_URL's endpoint rows: recent teams' each second, every team's at start and on each sweep.
        const now = (this.options.clock ?? systemClock)().getTime()
        if (this.options.serviceUrl && now - this.lastEnsured > ENSURE_EVERY_MS) {
          const sweep = now - this.lastSwept > SWEEP_EVERY_MS
          await events.ensureServiceEndpoints(sweep ? undefined : new Date(now - RECENT_TEAMS_MS))
          this.lastEnsured = now
          if (sweep) this.lastSwept = now
        }
        const free = concurrency - active.size
        const endpoints = free > 0 ? await events.claimWebhookEndpoints(this.owner, this.leaseMs, free, this.channels) : []
        claimed = endpoints.length
        for (const endpoint of endpoints) {
          const delivery: Promise<void> = this.deliver(endpoint)
            .catch((error: unknown) =>
              log.warn({ err: error, teamId: endpoint.teamId }, 'webhook delivery failed; the lease runs out and it is retried'),
            )
            .finally(() => active.delete(delivery))
          active.add(delivery)
        }
      } catch (error) {
        log.warn({ err: error }, 'webhook delivery round failed; retrying')
      }
      // Claimed some: look again at once (there may be more). Otherwise wait for a commit, a finished
      // delivery (its slot is free), or the poll interval.
      if (claimed > 0 && active.size < concurrency) continue
      await Promise.race([signal.wait(pollMs, this.stopping.signal), ...active])
    }
    await Promise.all(active)
  }

  private async deliver(endpoint: ClaimedEndpoint): Promise<void> {
    const { feed } = this
    const { events, observe, concurrency = DEFAULT_CONCURRENCY } = this.options
    const url = endpoint.channel === 'service' ? this.options.serviceUrl : endpoint.url
    const signer = this.signer(endpoint)
    let position = endpoint.position
    // The lease is extended with each recorded batch. A batch ends early once a third of the lease
    // has passed: a post lasts timeoutMs at most and the lease is 2 x timeoutMs + 5 s, so a slow
    // receiver never outlasts the lease and lets another replica post the same events beside this one.
    let renewed = Date.now()
    for (let sent = 0; sent < EVENTS_PER_LEASE && url;) {
      // Caught up after a batch: wait on the feed for the team's next commit while a slot is free;
      // with every slot taken the lease goes back, so that other endpoints get their turn.
      const hold = sent > 0 && this.active.size < concurrency && !this.stopping.signal.aborted ? HOLD_MS : 0
      const { events: batch } = await feed.read({
        teamId: endpoint.teamId,
        after: position,
        limit: 50,
        waitMs: hold,
        abort: this.stopping.signal,
        capped: false,
      })
      if (batch.length === 0) break
      let delivered = position
      let count = 0
      for (const event of batch) {
        if (this.stopping.signal.aborted || (count > 0 && Date.now() - renewed > this.leaseMs / 3)) break
        const failure = await this.post(url, signer, event)
        if (failure !== undefined) {
          // What did arrive is recorded first: the next attempt starts with the event that failed.
          if (count > 0) await events.recordDelivery(endpoint, delivered, count, this.leaseMs)
          if (this.stopping.signal.aborted) return events.releaseWebhookEndpoint(endpoint)
          observe?.failed(endpoint.channel)
          const retryAt = new Date(Date.now() + (this.options.backoffMs ?? exponentialBackoff)(endpoint.attempts + 1))
          return events.recordFailure(endpoint, retryAt, failure)
        }
        observe?.delivered(endpoint.channel, Math.max(0, (Date.now() - event.at.getTime()) / 1000))
        delivered = event.id
        count++
        sent++
      }
      // The cursor moves once per batch: a replica dying mid-batch sends that batch's delivered events
      // again (same webhook-ids), which at-least-once allows. False: the lease went to another replica
      // (this one stalled past it), which carries on from the cursor.
      if (count > 0 && !(await events.recordDelivery(endpoint, delivered, count, this.leaseMs))) return
      renewed = Date.now()
      position = delivered
      if (this.stopping.signal.aborted) return events.releaseWebhookEndpoint(endpoint)
    }
    await events.releaseWebhookEndpoint(endpoint)
  }

  /** One signed POST; undefined when the receiver answered 2xx, else what went wrong (for the endpoint's state). */
  private post(url: string, signer: Webhook, event: ChangeEvent): Promise<string | undefined> {
    const rendered = renderChangeEvent(event)
    const body = JSON.stringify({ type: event.kind, timestamp: rendered.occurredAt, data: rendered })
    const id = rendered.id as string
    const now = new Date()
    const target = new URL(url)
    const secure = target.protocol === 'https:'
    // node:http over a keep-alive agent rather than fetch: a delivery is one small POST, and fetch's
    // streams and signals cost several times the CPU per request (most of this process's time at
    // hundreds of deliveries a second). Redirects are not followed; any 3xx is a failure.
    return new Promise((resolve) => {
      let settled = false
      const done = (failure: string | undefined) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.stopping.signal.removeEventListener('abort', stop)
        resolve(failure)
      }
      const request = (secure ? httpsRequest : httpRequest)(
        target,
        {
          method: 'POST',
          agent: secure ? this.agents.https : this.agents.http,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'compound-scim-webhooks',
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': signer.sign(id, now, body),
          },
        },
        (response) => {
          const status = response.statusCode ?? 0
          // The body is not needed; reading it to its end frees the connection for the next delivery.
          response.resume()
          response.on('end', () => done(status >= 200 && status < 300 ? undefined : `HTTP ${status}`))
          response.on('error', (error) => done(`request failed: ${error.message}`))
        },
      )
      const fail = (why: string) => {
        done(`request failed: ${why}`)
        request.destroy()
      }
      const timer = setTimeout(() => fail(`no answer within ${this.options.timeoutMs} ms`), this.options.timeoutMs)
      const stop = () => fail('shutting down')
      this.stopping.signal.addEventListener('abort', stop, { once: true })
      request.on('error', (error) => done(`request failed: ${error.message}`))
      request.end(body)
    })
  }

  /** Closes the kept-alive connections to receivers (after stop()). */
  private closeConnections(): void {
    this.agents.http.destroy()
    this.agents.https.destroy()
  }
}
