import { buildApp } from '../src/app.js'
import { hashToken } from '../src/auth/tokens.js'
import { openDatabase } from '../src/store/pg/database.js'
import { PgStores } from '../src/store/pg/pg-stores.js'
import { callJson } from '../test/helpers/replica.js'

/**
 * `npm run soak`: mixed Okta-like traffic (lookups, creates, PUT updates, deactivations and
 * reactivations) against the service on loopback for a bounded time. Reports requests by status,
 * errors, and RSS over time; exits 1 on any 5xx or network error, or when memory keeps growing.
 * SOAK_SECONDS (60), SOAK_CONCURRENCY (8), SOAK_DATABASE_URL (default: PGlite in memory).
 */
const env = process.env
const SECONDS = Number(env.SOAK_SECONDS ?? 60)
const CONCURRENCY = Number(env.SOAK_CONCURRENCY ?? 8)
const ADMIN = 'soak-admin-token-0123456789abcdefghijklmn'

const database = await openDatabase({ url: env.SOAK_DATABASE_URL })
await database.migrate()
const app = await buildApp({
  store: new PgStores(database.db),
  ping: () => database.ping(),
  adminTokenHash: hashToken(ADMIN),
  publicBaseUrl: 'http://127.0.0.1',
})
await app.listen({ host: '127.0.0.1', port: 0 })
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`

const call = (method: string, path: string, token: string, body?: unknown, actor?: string) =>
  callJson(base, method, path, token, body, actor)

const teamId = `soak-${Date.now()}`
const { ownerAccountId } = (
  await call('PUT', `/internal/v1/teams/${teamId}`, ADMIN, { name: 'Soak', owner: { email: `owner@${teamId}.io` } })
).body as { ownerAccountId: string }
await call('PUT', `/internal/v1/teams/${teamId}/sso`, ADMIN, { protocol: 'saml' })
const { endpointId, token } = (await call('POST', `/internal/v1/teams/${teamId}/scim`, ADMIN, undefined, ownerAccountId)).body as {
  endpointId: string
  token: string
}
const users = `/scim/v2/${endpointId}/Users`

const statuses = new Map<string, number>()
let failures = 0
const known: string[] = []
let serial = 0
const person = (n: number, extra: Record<string, unknown> = {}) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: `person${n}@soak.io`,
  name: { givenName: 'Person', familyName: `N${n}` },
  emails: [{ value: `person${n}@soak.io`, type: 'work', primary: true }],
  active: true,
  ...extra,
})

/** One Okta-like step, chosen at random. */
async function step(): Promise<void> {
  const roll = Math.random()
  const id = known[Math.floor(Math.random() * known.length)]
  let result: { status: number; body: Record<string, unknown> }
  if (roll < 0.4 || !id) {
    const n = serial++
    await call('GET', `${users}?filter=${encodeURIComponent(`userName eq "person${n}@soak.io"`)}&startIndex=1&count=100`, token)
    result = await call('POST', users, token, person(n))
    if (result.status === 201) known.push(result.body.id as string)
  } else if (roll < 0.6) {
    result = await call(
      'GET',
      `${users}?filter=${encodeURIComponent(`userName eq "person${Math.floor(Math.random() * serial)}@soak.io"`)}`,
      token,
    )
  } else if (roll < 0.8) {
    const current = await call('GET', `${users}/${id}`, token)
    result = current.status === 200 ? await call('PUT', `${users}/${id}`, token, { ...current.body, title: `T${Math.random()}` }) : current
  } else {
    result = await call('PATCH', `${users}/${id}`, token, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: roll < 0.9 } }],
    })
  }
  const key = String(result.status)
  statuses.set(key, (statuses.get(key) ?? 0) + 1)
  if (result.status >= 500) failures++
}

const rss: number[] = []
const sample = () => rss.push(Math.round(process.memoryUsage().rss / 1024 / 1024))
sample()
const sampler = setInterval(sample, 5_000)
const deadline = Date.now() + SECONDS * 1000
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < deadline) {
      try {
        await step()
      } catch {
        failures++
      }
    }
  }),
)
clearInterval(sampler)
sample()
await app.close()
await database.close()

const total = [...statuses.values()].reduce((a, b) => a + b, 0)
// Growth judged on the second half: the first samples include warm-up (JIT, caches, PGlite's pages).
const half = rss.slice(Math.floor(rss.length / 2))
const growth = half.length > 1 ? half.at(-1)! - half[0]! : 0
process.stdout.write(`soak: ${SECONDS} s, ${CONCURRENCY} workers, ${database.kind}\n`)
process.stdout.write(
  `requests: ${total} (${[...statuses]
    .sort()
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ')})\n`,
)
process.stdout.write(`errors (5xx or network): ${failures}\n`)
process.stdout.write(`RSS MB: start ${rss[0]}, end ${rss.at(-1)}, samples ${rss.join(' ')}; second-half growth ${growth} MB\n`)
const growing = growth > 64 && half.every((v, i) => i === 0 || v >= half[i - 1]!)
if (failures > 0 || growing) {
  process.stdout.write(failures > 0 ? 'FAILED: server errors\n' : 'FAILED: memory grew through the whole second half\n')
  process.exit(1)
}
