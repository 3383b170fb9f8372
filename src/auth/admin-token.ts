import { ADMIN_TOKEN_PREFIX, generateToken, hashesEqual, hashToken, type RandomSource } from './tokens.js'
import { systemClock, type Clock } from '../clock.js'
import type { ServiceSettings } from '../store/connection-store.js'

const SETTING = 'admin_api_token_sha256'

/**
 * The admin credential: ADMIN_API_TOKEN when configured; otherwise one generated at first start,
 * stored as a hash and returned once (`generated`) so the process can print it.
 */
export async function resolveAdminToken(
  configured: string | undefined,
  store: ServiceSettings,
  random?: RandomSource,
): Promise<{ hash: string; generated?: string; source: 'config' | 'stored' | 'generated' }> {
  if (configured) return { hash: hashToken(configured), source: 'config' }
  const existing = await store.getSetting(SETTING)
  if (existing) return { hash: existing, source: 'stored' }
  const token = generateToken(ADMIN_TOKEN_PREFIX, random)
  const stored = await store.putSettingIfAbsent(SETTING, hashToken(token))
  // Another replica won the race: its token is the one in force, and ours was never valid.
  if (stored !== hashToken(token)) return { hash: stored, source: 'stored' }
  return { hash: stored, generated: token, source: 'generated' }
}

/**
 * A service credential (ADMIN_API_TOKEN, METRICS_TOKEN) while it is being rolled: the new token is
 * deployed replica by replica, so for a while callers and replicas disagree on which one is in force.
 * Each replica accepts the current token and, until the roll is finished and `*_PREVIOUS` is unset,
 * the previous one.
 */
export interface RollingTokenHashes {
  /** SHA-256 hex of the token in force. */
  readonly current: string
  /** SHA-256 hex of the token being replaced; unset outside a roll. */
  readonly previous?: string | undefined
}

/**
 * The bearer check for a rolling credential: true for the current or the previous token. Both hashes
 * are compared in constant time on every call, so the timing does not tell which one matched. A
 * previous token's use is logged (`notice`, never the token) at most once a minute: callers poll
 * every few seconds, and one line a minute is enough to say the roll is unfinished.
 */
export function rollingTokenCheck(
  hashes: RollingTokenHashes,
  notice: string,
  clock: Clock = systemClock,
): (presented: string, log: { info(message: string): void }) => boolean {
  let noticedAt = -Infinity
  return (presented, log) => {
    const hash = hashToken(presented)
    const current = hashesEqual(hash, hashes.current)
    const previous = hashes.previous !== undefined && hashesEqual(hash, hashes.previous)
    if (previous && !current) {
      const now = clock().getTime()
      if (now - noticedAt >= 60_000) {
        noticedAt = now
        log.info(notice)
      }
    }
    return current || previous
  }
}
