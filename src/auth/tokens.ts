import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * SCIM bearer tokens: 32 random bytes behind a prefix that secret scanners can match
 * (`cpscim_`), stored only as a SHA-256 hash. A fast hash is right here: the token carries
 * 256 bits of entropy, so there is nothing to brute-force, and the hash is the lookup key.
 */
export const SCIM_TOKEN_PREFIX = 'cpscim_'
export const ADMIN_TOKEN_PREFIX = 'cpadmin_'

export type RandomSource = (size: number) => Buffer

export function generateToken(prefix: string, random: RandomSource = randomBytes): string {
  return prefix + random(32).toString('base64url')
}

/**
 * A webhook endpoint's signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in
 * base64. Unlike a token it is kept as issued, since signing needs it (README, "Change events").
 */
export function generateWebhookSecret(random: RandomSource = randomBytes): string {
  return `whsec_${random(32).toString('base64')}`
}

/** Endpoint ids are path segments: lower-case so that case-insensitive routing cannot alter them. */
export function generateEndpointId(random: RandomSource = randomBytes): string {
  return random(16).toString('hex')
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** Constant-time equality of two hex hashes (the lengths are public: both are SHA-256). */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex')
  const right = Buffer.from(b, 'hex')
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right)
}
