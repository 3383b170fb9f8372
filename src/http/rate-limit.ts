import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import { hashToken } from '../auth/tokens.js'
import { ScimError } from '../scim/protocol/scim-error.js'
import { isScimUrl } from '../scim/protocol/endpoint-url.js'

export interface RateLimitOptions {
  /** Requests per token per minute. */
  readonly perMinute: number
  /** Shared counters across replicas; without it (or while it is down) each process counts alone. */
  readonly redis?: Redis | undefined
  readonly onRedisError?: (error: Error) => void
}

type Callback = (error: Error | null, result: { current: number; ttl: number }) => void

/** Fixed one-minute windows: INCR, and the expiry set by the first request of a window. */
const WINDOW_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {current, redis.call('PTTL', KEYS[1])}`

/**
 * This process's own fixed-window counters, for when Redis is absent or down. Every request without a
 * valid token brings a key of its own (a hash of whatever it sent), so the map is capped: past
 * `maxKeys` the least recently counted key goes, and with it only a count that was not growing.
 * A Map iterates in insertion order, and a key is re-inserted on every count, so the first key is
 * always the least recent; expired windows are dropped from the front as they come up.
 */
export class LocalCounters {
  private readonly counts = new Map<string, { current: number; resetAt: number }>()

  constructor(private readonly maxKeys = 10_000) {}

  get size(): number {
    return this.counts.size
  }

  count(key: string, window: number, now = Date.now()): { current: number; ttl: number } {
    let entry = this.counts.get(key)
    if (entry) this.counts.delete(key)
    if (!entry || entry.resetAt <= now) entry = { current: 0, resetAt: now + window }
    entry.current++
    this.counts.set(key, entry)
    for (const [oldest, { resetAt }] of this.counts) {
      if (this.counts.size <= this.maxKeys && resetAt > now) break
      this.counts.delete(oldest)
    }
    return { current: entry.current, ttl: entry.resetAt - now }
  }
}

/**
 * A rate-limit store that counts in Redis, so the limit holds across replicas, and falls back to
 * this process's own counters whenever Redis does not answer: a Redis outage never takes
 * provisioning down with it.
 */
function fallbackStore(redis: Redis | undefined, onRedisError: (error: Error) => void) {
  const local = new LocalCounters()
  const countLocally = (key: string, window: number, cb: Callback) => cb(null, local.count(key, window))
  return class FallbackStore {
    incr(key: string, cb: Callback, timeWindow: number) {
      if (!redis || redis.status !== 'ready') return countLocally(key, timeWindow, cb)
      redis
        .eval(WINDOW_SCRIPT, 1, `scim-rate:${key}`, timeWindow)
        .then((result) => {
          const [current, ttl] = result as [number, number]
          cb(null, { current, ttl })
        })
        .catch((error: Error) => {
          onRedisError(error)
          countLocally(key, timeWindow, cb)
        })
    }
    child() {
      return this
    }
  }
}

/**
 * Per-token limits on the SCIM API (429 with Retry-After and an RFC 7644 error body). The key is a hash of the
 * bearer token, so neither Redis nor memory ever holds a token; requests without one share a key
 * per client address. Runs before authentication, so floods of bad tokens are limited too.
 */
export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  await app.register(rateLimit, {
    max: options.perMinute,
    timeWindow: 60_000,
    hook: 'onRequest',
    // Identity providers' traffic only: probes, scrapes and the Compound app's admin calls are not limited.
    allowList: (request: FastifyRequest) => !isScimUrl(request.url),
    store: fallbackStore(options.redis, options.onRedisError ?? (() => undefined)),
    keyGenerator: (request: FastifyRequest) => {
      const authorization = request.headers.authorization
      return typeof authorization === 'string' && authorization.length > 7
        ? `token:${hashToken(authorization.slice(7).trim()).slice(0, 32)}`
        : `ip:${request.ip}`
    },
    // The X-RateLimit-* headers only on a refusal, with Retry-After: no identity provider reads them on
    // a success, and every response would carry three more headers.
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    errorResponseBuilder: (_request, context) =>
      new ScimError(429, `Too many requests for this token: the limit is ${context.max} per minute; retry after ${context.after}`),
  })
}
