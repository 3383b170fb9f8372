import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import { hashToken } from '../auth/tokens.js'
import { ScimError } from '../scim/protocol/scim-error.js'

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
 * A rate-limit store that counts in Redis, so the limit holds across replicas, and falls back to
 * this process's own counters whenever Redis does not answer: a Redis outage never takes
 * provisioning down with it.
 */
function fallbackStore(redis: Redis | undefined, onRedisError: (error: Error) => void) {
  const local = new Map<string, { current: number; resetAt: number }>()
  const countLocally = (key: string, window: number, cb: Callback) => {
    const now = Date.now()
    let entry = local.get(key)
    if (!entry || entry.resetAt <= now) {
      entry = { current: 0, resetAt: now + window }
      local.set(key, entry)
      if (local.size > 10_000) for (const [k, v] of local) if (v.resetAt <= now) local.delete(k)
    }
    entry.current++
    cb(null, { current: entry.current, ttl: entry.resetAt - now })
  }
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
    allowList: (request: FastifyRequest) => !/^\/+scim\//i.test(request.url),
    store: fallbackStore(options.redis, options.onRedisError ?? (() => undefined)) as never,
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
