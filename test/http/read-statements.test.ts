import { t } from '../helpers/file-test.js'
import { scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

/**
 * The statements the lists IdPs make most send to the database, counted through drizzle's logger on
 * both databases (Okta's connection test, startIndex=1&count=2, once cost 3.4x an eq lookup; each
 * statement is a round trip). The first page of the unfiltered list is read with the token and its
 * total in one statement, as an eq lookup is; and the answer is the one the general path gives.
 */
let log: string[] | undefined
const dbs = await testDatabases(t, { onQuery: (text) => log?.push(text) })

async function statements<T>(work: () => Promise<T>): Promise<{ value: T; count: number; sql: string[] }> {
  log = []
  try {
    const value = await work()
    return { value, count: log.length, sql: log }
  } finally {
    log = undefined
  }
}

interface Listed {
  totalResults: number
  startIndex: number
  itemsPerPage: number
  Resources: { id: string; userName: string; active?: boolean }[]
}

for (const db of dbs) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    const team = await scimTeam(app, 'reads')
    const other = await scimTeam(app, 'others')
    // The bearer check writes lastUsedAt once a minute: done here, so no count below includes it.
    await scim(app, team, 'GET', '/Users?count=1')
    await scim(app, other, 'GET', '/Users?count=1')

    t.test('an empty team: one statement, totalResults 0', async (t) => {
      const { value: res, count, sql } = await statements(() => scim(app, team, 'GET', '/Users?startIndex=1&count=2'))
      t.equal(res.statusCode, 200)
      t.match(res.json<Listed>(), { totalResults: 0, startIndex: 1, itemsPerPage: 0 })
      t.equal(count, 1, sql.join('\n'))
    })

    const ids: string[] = []
    t.test("Okta's connection test: the token, the first page and its total in one statement", async (t) => {
      // Created here: tap runs subtests one after the other, once the code around them has run.
      for (let i = 0; i < 5; i++) {
        ids.push((await scim(app, team, 'POST', '/Users', { userName: `u${i}@reads.example`, active: i !== 3 })).json<{ id: string }>().id)
      }
      await scim(app, other, 'POST', '/Users', { userName: 'someone@others.example' })
      const { value: res, count, sql } = await statements(() => scim(app, team, 'GET', '/Users?startIndex=1&count=2'))
      t.equal(res.statusCode, 200)
      const body = res.json<Listed>()
      t.match(body, { totalResults: 5, startIndex: 1, itemsPerPage: 2 })
      t.same(
        body.Resources.map((u) => u.id),
        ids.slice(0, 2),
        'in creation order',
      )
      t.equal(count, 1, sql.join('\n'))
      t.match(sql[0], /scim_user_counts/, 'the total is the counter')
    })

    t.test('the first page of an import, and a page as long as the team', async (t) => {
      for (const count of [100, 5, 4]) {
        const { value: res, count: statementsSent } = await statements(() => scim(app, team, 'GET', `/Users?startIndex=1&count=${count}`))
        const body = res.json<Listed>()
        t.equal(body.totalResults, 5, `count=${count}: the whole team's total`)
        t.same(
          body.Resources.map((u) => u.id),
          ids.slice(0, count),
          `count=${count}: the team's own users`,
        )
        t.equal(statementsSent, 1, `count=${count}: one statement`)
      }
      const search = await scim(app, team, 'POST', '/Users/.search', { startIndex: 1, count: 2 })
      t.same(
        search.json<Listed>(),
        { ...(await scim(app, team, 'GET', '/Users?startIndex=1&count=2')).json<Listed>() },
        'as the general path answers',
      )
    })

    t.test('other first pages still go the general way', async (t) => {
      for (const query of [
        'startIndex=2&count=2',
        'sortBy=userName&count=2',
        'sortOrder=descending&count=2',
        'filter=active%20eq%20true&count=2',
      ]) {
        const { value: res, count } = await statements(() => scim(app, team, 'GET', `/Users?${query}`))
        t.equal(res.statusCode, 200, query)
        t.ok(count > 1, `${query}: ${count} statements`)
      }
      const descending = (await scim(app, team, 'GET', '/Users?sortOrder=descending&count=2')).json<Listed>()
      t.same(
        descending.Resources.map((u) => u.id),
        [ids[4], ids[3]],
        'sortOrder=descending without sortBy is newest first',
      )
    })

    t.test('a wrong or unknown token is a 401 whatever the list', async (t) => {
      const res = await scim(app, { ...team, token: `${team.token}x` }, 'GET', '/Users?startIndex=1&count=2')
      t.equal(res.statusCode, 401)
      const wrongEndpoint = await scim(app, { ...team, base: other.base }, 'GET', '/Users?startIndex=1&count=2')
      t.equal(wrongEndpoint.statusCode, 401)
    })
  })
}
