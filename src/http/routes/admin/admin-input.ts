import { z } from 'zod'
import { AdminError } from '../../../provisioning/admin-error.js'
import { isUuid } from '../../../scim/core/uuid.js'

/** Compound's team ids are opaque; this keeps them printable and bounded. */
export const TeamId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'must be 1-128 letters, digits, or _ . : -')

export const TeamBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  owner: z.strictObject({
    email: z.email().max(320),
    displayName: z.string().trim().min(1).max(200).optional(),
  }),
})

export const SsoBody = z.strictObject({ protocol: z.enum(['saml', 'oidc']) })

export const EventsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().min(1).optional(),
})

/** Parses with zod and turns the first problems into one readable invalid_request. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value ?? {})
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : what}: ${issue.message}`)
    .join('; ')
  throw new AdminError('invalid_request', `Invalid ${what}: ${problems}`)
}

/** X-Actor-Id names the Compound account acting; the service checks it is the team's Owner. */
export function actorId(headers: Record<string, string | string[] | undefined>): string {
  const value = headers['x-actor-id']
  if (typeof value !== 'string' || !isUuid(value.trim())) {
    throw new AdminError('invalid_request', 'The X-Actor-Id header must carry the acting account id (a UUID)')
  }
  return value.trim().toLowerCase()
}

/** The path parameters of the team routes (`/teams/:teamId/...`). */
const TeamParams = z.object({ teamId: TeamId })

/** The `:teamId` of an admin route's path, validated as TeamId ("Invalid teamId: teamId: ..." otherwise). */
export function teamIdParam(params: unknown): string {
  return parseInput(TeamParams, params, 'teamId').teamId
}
