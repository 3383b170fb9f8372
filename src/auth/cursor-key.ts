import { randomBytes } from 'node:crypto'
import type { RandomSource } from './tokens.js'
import type { ServiceSettings } from '../store/connection-store.js'

const SETTING = 'cursor_hmac_key'

/**
 * The key that signs list cursors (RFC 9865, scim/protocol/cursor.ts): CURSOR_SECRET when configured;
 * otherwise 32 random bytes generated at first start and kept in the database, so that every replica
 * on it accepts the cursors the others issue. Kept as it is, not hashed: it must sign, and whoever
 * reads the database reads the data the cursors page through anyway.
 */
export async function resolveCursorKey(
  configured: string | undefined,
  store: ServiceSettings,
  random: RandomSource = randomBytes,
): Promise<Buffer> {
  if (configured) return Buffer.from(configured, 'utf8')
  const existing = await store.getSetting(SETTING)
  // Another replica may win the race to store one: its key is then the one every replica uses.
  const stored = existing ?? (await store.putSettingIfAbsent(SETTING, random(32).toString('base64url')))
  return Buffer.from(stored, 'base64url')
}
