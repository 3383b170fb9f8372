/**
 * Small readers shared by the identity-provider replays: the team as the admin API shows it, a
 * group's member ids, and raw snapshots for "nothing changed" checks. Not a test file itself.
 */
import { URN } from '../../src/scim/core/schemas.js'
import { admin, scim } from '../helpers/app.js'
import type { TestDatabase } from '../helpers/databases.js'
import type { ReplayState } from './replay.js'

export interface TeamMember {
  readonly accountId: string
  readonly email: string
  readonly displayName: string | null
  readonly role: string
}

/** RFC 7644 §3.5.2 PatchOp body. */
export const patchOp = (...Operations: unknown[]) => ({ schemas: [URN.patchOp], Operations })

/** `/Users?filter=...` with the filter URL-encoded, as every client sends it. */
export const filtered = (resource: 'Users' | 'Groups', filter: string, extra = '') =>
  `/${resource}?filter=${encodeURIComponent(filter)}${extra}`

export async function teamMembers({ app, team }: Pick<ReplayState, 'app' | 'team'>): Promise<TeamMember[]> {
  return (await admin(app, 'GET', `/teams/${team.teamId}/members`)).json().members as TeamMember[]
}

/** The person's membership, case-insensitively by email; undefined when not on the team. */
export async function memberByEmail(state: Pick<ReplayState, 'app' | 'team'>, email: string): Promise<TeamMember | undefined> {
  return (await teamMembers(state)).find((m) => m.email.toLowerCase() === email.toLowerCase())
}

export async function groupMemberIds({ app, team }: Pick<ReplayState, 'app' | 'team'>, groupId: string): Promise<string[]> {
  const res = await scim(app, team, 'GET', `/Groups/${groupId}`)
  return ((res.json().members ?? []) as { value: string }[]).map((m) => m.value).sort()
}

/** The user as GET returns it and the team's members, as raw text: equal snapshots mean byte-for-byte unchanged. */
export async function snapshot(state: Pick<ReplayState, 'app' | 'team'>, userId: string): Promise<string> {
  const user = await scim(state.app, state.team, 'GET', `/Users/${userId}`)
  const members = await admin(state.app, 'GET', `/teams/${state.team.teamId}/members`)
  return JSON.stringify({ status: user.statusCode, user: user.body, members: members.body })
}

/** Compound accounts with this email (the admin API lists members only; accounts outlive memberships). */
export async function accountCount(db: TestDatabase, email: string): Promise<number> {
  const rows = await db.rows<{ n: number }>(
    `select count(*)::int as n from accounts where lower(email) = lower('${email.replace(/'/g, "''")}')`,
  )
  return rows[0]!.n
}

export const resources = (body: Record<string, unknown>) => (body.Resources ?? []) as Record<string, unknown>[]
