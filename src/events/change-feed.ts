import type { ChangeEvent } from './change-event.js'
import type { ChangeSignal } from './change-signal.js'
import type { ChangePage, EventStore } from '../store/event-store.js'

export interface FeedRequest {
  /** One team's events; undefined: every team's. */
  readonly teamId?: string | undefined
  /** The id of the last event the follower has (FEED_START for the beginning). */
  readonly after: number
  readonly limit: number
  /** Long polling: how long to wait for an event when there is none yet (ms; 0 answers at once). */
  readonly waitMs: number
  /** The client went away: stop waiting. */
  readonly abort?: AbortSignal
  /**
   * Counts against the cap on long polls waiting at once (admin API clients). The webhook deliverer's
   * own waits do not: there is at most one per endpoint it holds.
   */
  readonly capped?: boolean
}

/** More long polls wait in this process than it allows: the client should retry shortly. */
export class FeedBusy extends Error {
  constructor(readonly limit: number) {
    super(`${limit} long polls are waiting on this replica already`)
    this.name = 'FeedBusy'
  }
}

/** The most long polls waiting at once in one process; each holds a socket and a small record, no query. */
export const MAX_WAITING_LONG_POLLS = 1_000

/** Events the shared reader reads at once for all waiters. */
const TAIL_PAGE = 1_000

interface Waiter {
  readonly teamId: string | undefined
  /** The waiter's cursor: nothing of its scope exists in (after, its first read's bound]. */
  readonly after: number
  readonly limit: number
  readonly capped: boolean
  readonly finish: (result: ChangePage | Error) => void
}

/**
 * The feed the Compound app follows, and the webhook deliverer's source: events after a cursor,
 * oldest first, waiting up to `waitMs` for the first one.
 *
 * A read with nothing to hand out yet waits with the others: one reader per process (the tail)
 * reads every team's new events once per wake-up (a commit's ChangeSignal) and hands each waiter the
 * events of its scope after its cursor. So a commit costs one query per replica however many long
 * polls and webhook endpoints wait, instead of one per waiter. Without a wake-up the tail reads every
 * `pollMs`; a wake-up that finds nothing yet (the bound still waits for an older transaction, which
 * may be any transaction on the database server, another database's included) reads again after
 * `settleMs`, then after twice as long each time it still finds nothing, up to `pollMs`.
 */
export class ChangeFeed {
  /** Waiters by team ('' for every team's feed). */
  private readonly waiting = new Map<string, Set<Waiter>>()
  private count = 0
  private cappedCount = 0
  /** Where the tail reads from next: no waiter's cursor is below it. */
  private from: number | undefined
  /**
   * Waiters that came while the tail was reading (undefined between reads): that read may have begun
   * above their cursors, so it does not cover them. Every other waiter is covered by each read from
   * its first on: it came between reads and lowered `from` to its cursor, and each read begins where
   * the one before it ended.
   */
  private late: Set<Waiter> | undefined
  /** Where the running tail's last read ended, when it read everything up to the bound (undefined otherwise). */
  private tailThrough: number | undefined
  /** Whether the tail runs (set and cleared synchronously, so that no waiter registers between its end and the flag). */
  private tailing = false

  constructor(
    private readonly events: EventStore,
    private readonly signal: ChangeSignal,
    private readonly options: { pollMs: number; settleMs?: number; maxWaiting?: number } = { pollMs: 1_000 },
  ) {}

  /** Long polls (and deliveries) waiting now. */
  get waitingCount(): number {
    return this.count
  }

  async read(request: FeedRequest): Promise<ChangePage> {
    // A cursor at or past where the running tail has read (a webhook endpoint that just posted what the
    // tail handed it) has nothing to read now: it waits for the tail's next read without a query of its own.
    const caughtUp = request.waitMs > 0 && this.tailing && this.tailThrough !== undefined && request.after >= this.tailThrough
    const page = caughtUp
      ? { events: [], through: request.after }
      : await this.events.listChanges({ teamId: request.teamId }, request.after, request.limit)
    if (page.events.length > 0 || request.waitMs <= 0 || request.abort?.aborted || this.signal.isClosed) return page
    const capped = request.capped ?? true
    const limit = this.options.maxWaiting ?? MAX_WAITING_LONG_POLLS
    if (capped && this.cappedCount >= limit) throw new FeedBusy(limit)
    return new Promise<ChangePage>((resolve, reject) => {
      const key = request.teamId ?? ''
      const finish = (result: ChangePage | Error) => {
        if (!this.waiting.get(key)?.delete(waiter)) return
        if (this.waiting.get(key)!.size === 0) this.waiting.delete(key)
        this.count--
        if (capped) this.cappedCount--
        clearTimeout(timer)
        request.abort?.removeEventListener('abort', gone)
        if (result instanceof Error) reject(result)
        else resolve(result)
      }
      const waiter: Waiter = { teamId: request.teamId, after: page.through, limit: request.limit, capped, finish }
      const gone = () => finish({ events: [], through: waiter.after })
      const timer = setTimeout(gone, request.waitMs)
      request.abort?.addEventListener('abort', gone, { once: true })
      let set = this.waiting.get(key)
      if (!set) this.waiting.set(key, (set = new Set()))
      set.add(waiter)
      this.count++
      if (capped) this.cappedCount++
      this.from = Math.min(this.from ?? waiter.after, waiter.after)
      this.late?.add(waiter)
      if (!this.tailing) {
        this.tailing = true
        this.tail().catch((error: unknown) => this.finishAll(() => (error instanceof Error ? error : new Error(String(error)))))
      }
    })
  }

  /** Reads every team's new events while anyone waits, and hands them out. */
  private async tail(): Promise<void> {
    try {
      await this.follow()
    } finally {
      this.tailing = false
      this.tailThrough = undefined
    }
  }

  private async follow(): Promise<void> {
    const { pollMs, settleMs = 20 } = this.options
    let woken = false
    // The pause before the next read while a wake-up's events are held back (0: not settling).
    let settle = 0
    while (this.count > 0) {
      if (this.signal.isClosed) return this.finishAll(() => undefined)
      const from = this.from!
      // A commit during the read below ends the wait after it at once (its wake-up would be lost otherwise).
      const generation = this.signal.generation
      this.late = new Set()
      let page: ChangePage
      try {
        page = await this.events.listChanges({}, from, TAIL_PAGE)
      } catch (error) {
        // The waiters answer the error (a 503 while the database is away) instead of hanging on.
        return this.finishAll(() => (error instanceof Error ? error : new Error(String(error))))
      }
      this.handOut(page, from)
      // Every waiter the read covered has nothing up to page.through; those that came during the read
      // may have cursors below it.
      this.from = Math.min(page.through, ...[...this.late].map((waiter) => waiter.after))
      this.late = undefined
      this.tailThrough = page.events.length === TAIL_PAGE ? undefined : page.through
      if (page.events.length === TAIL_PAGE) continue
      if (page.events.length > 0) settle = 0
      else if (woken) settle = settleMs
      else if (settle > 0) settle = settle * 2
      if (settle >= pollMs) settle = 0
      const pause = settle || pollMs
      const started = Date.now()
      await this.signal.wait(pause, undefined, generation)
      woken = Date.now() - started < pause - 1
    }
    this.from = undefined
  }

  /**
   * Each waiter the page covers gets its scope's events after its cursor, up to its limit. The
   * others (late, with a cursor below where the read began) wait for the next read.
   */
  private handOut(page: ChangePage, from: number): void {
    const byTeam = new Map<string, ChangeEvent[]>()
    for (const event of page.events) {
      let list = byTeam.get(event.teamId)
      if (!list) byTeam.set(event.teamId, (list = []))
      list.push(event)
    }
    const serve = (waiters: Set<Waiter> | undefined, pool: ChangeEvent[]) => {
      for (const waiter of [...(waiters ?? [])]) {
        if (waiter.after < from && this.late?.has(waiter)) continue
        const mine: ChangeEvent[] = []
        for (const event of pool) {
          if (event.id <= waiter.after) continue
          mine.push(event)
          if (mine.length === waiter.limit) break
        }
        if (mine.length === 0) continue
        // A page cut at the waiter's limit ends at its last event; otherwise it had all of its scope up to the read's end.
        waiter.finish({ events: mine, through: mine.length === waiter.limit ? mine.at(-1)!.id : Math.max(waiter.after, page.through) })
      }
    }
    serve(this.waiting.get(''), page.events)
    for (const [teamId, events] of byTeam) serve(this.waiting.get(teamId), events)
  }

  private finishAll(result: (waiter: Waiter) => Error | undefined): void {
    for (const set of [...this.waiting.values()]) {
      for (const waiter of [...set]) waiter.finish(result(waiter) ?? { events: [], through: waiter.after })
    }
    this.from = undefined
    this.late = undefined
  }
}
