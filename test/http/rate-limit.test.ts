import { t } from '../helpers/file-test.js'
import { Redis } from 'ioredis'
import type { RateLimitOptions } from '../../src/http/rate-limit.js'
import { scim, scimTeam, testApp, type ScimTeam } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

const [db] = await testDatabases(t)
const limited = (rateLimit: RateLimitOptions) => testApp(db!, { rateLimit })

/** Redis from TEST_REDIS_URL or the local one; these cases run only where it answers. */
async function redisOrUndefined(): Promise<Redis | undefined> {
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 500,
    enableOfflineQueue: false,
  })
  redis.on('error', () => undefined)
  try {
    await redis.connect()
    await redis.ping()
    return redis
  } catch {
    redis.disconnect()
    return undefined
  }
}

const redis = await redisOrUndefined()
t.test('per-token limit: 429 with Retry-After and a SCIM error; other tokens and probes unaffected', async (t) => {
  const app = await limited({ perMinute: 5 })
  t.teardown(() => app.close())
  await db!.reset()
  // scimTeam spends admin-token requests, not SCIM-token ones.
  const team = await scimTeam(app, 'limits')
  const responses = []
  for (let i = 0; i < 6; i++) responses.push(await scim(app, team, 'GET', '/Users'))
  t.same(
    responses.map((r) => r.statusCode),
    [200, 200, 200, 200, 200, 429],
  )
  t.notOk(
    Object.keys(responses[0]!.headers).some((name) => name.startsWith('x-ratelimit-')),
    'no limit headers on a success',
  )
  const refused = await scim(app, team, 'GET', '/Users')
  t.equal(refused.statusCode, 429)
  t.match(refused.headers['retry-after'], /^\d+$/)
  t.equal(refused.headers['x-ratelimit-limit'], '5', 'the limit is named on a refusal')
  t.same(refused.json().schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'])
  t.equal(refused.json().status, '429')
  const other = await scimTeam(app, 'limits2')
  t.equal((await scim(app, other, 'GET', '/Users')).statusCode, 200, 'another token has its own budget')
  for (let i = 0; i < 10; i++) t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
  const bad = []
  for (let i = 0; i < 7; i++) bad.push((await scim(app, { ...team, token: 'cpscim_guess' }, 'GET', '/Users')).statusCode)
  t.same(bad, [401, 401, 401, 401, 401, 429, 429], 'guessed tokens are limited too')
})

if (redis) {
  t.teardown(() => redis.quit())
  t.test('with Redis the limit holds across replicas', async (t) => {
    const second = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379')
    t.teardown(() => second.quit())
    const a = await limited({ perMinute: 6, redis })
    const b = await limited({ perMinute: 6, redis: second })
    t.teardown(() => Promise.all([a.close(), b.close()]))
    await db!.reset()
    const team: ScimTeam = await scimTeam(a, 'replicas')
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      statuses.push((await scim(a, team, 'GET', '/Users')).statusCode)
      statuses.push((await scim(b, team, 'GET', '/Users')).statusCode)
    }
    t.same(statuses, [200, 200, 200, 200, 200, 200, 429, 429], 'six in all, whichever replica served them')
  })
}

t.test('with Redis unreachable, each process still limits on its own', async (t) => {
  const down = new Redis('redis://127.0.0.1:1', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 200,
    retryStrategy: () => null,
  })
  down.on('error', () => undefined)
  t.teardown(() => down.disconnect())
  const errors: Error[] = []
  const app = await limited({ perMinute: 3, redis: down, onRedisError: (e) => errors.push(e) })
  t.teardown(() => app.close())
  await db!.reset()
  const team = await scimTeam(app, 'no-redis')
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await scim(app, team, 'GET', '/Users')).statusCode)
  t.same(statuses, [200, 200, 200, 429])
})
