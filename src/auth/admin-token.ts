import { ADMIN_TOKEN_PREFIX, generateToken, hashToken, type RandomSource } from './tokens.js'
import type { TeamStore } from '../store/team-store.js'

const SETTING = 'admin_api_token_sha256'

/**
 * The admin credential: ADMIN_API_TOKEN when configured; otherwise one generated at first start,
 * stored as a hash and returned once (`generated`) so the process can print it.
 */
export async function resolveAdminToken(
  configured: string | undefined,
  store: TeamStore,
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
