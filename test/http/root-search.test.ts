import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

const search = (body: Record<string, unknown>) => ({ schemas: [URN.searchRequest], ...body })

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    const team = await scimTeam(app, 'search')
    const users: string[] = []
    for (const name of ['ann', 'bob', 'cid']) {
      users.push(
        (await scim(app, team, 'POST', '/Users', { userName: `${name}@x.io`, displayName: name === 'bob' ? 'Engineering' : name })).json()
          .id,
      )
    }
    const groups: string[] = []
    for (const name of ['Engineering', 'Sales']) {
      groups.push((await scim(app, team, 'POST', '/Groups', { displayName: name, members: [{ value: users[0] }] })).json().id)
    }
    const run = async (body: Record<string, unknown>) => {
      const res = await scim(app, team, 'POST', '/.search', search(body))
      return { status: res.statusCode, body: res.json() }
    }
    const ids = (body: { Resources: { id: string }[] }) => body.Resources.map((r) => r.id)

    t.test('Users then Groups, paged across the boundary with an exact total', async (t) => {
      const all = await run({})
      t.equal(all.status, 200)
      t.same(all.body.schemas, [URN.listResponse])
      t.equal(all.body.totalResults, 5)
      t.same(ids(all.body), [...users, ...groups])
      const middle = await run({ startIndex: 3, count: 2 })
      t.same([middle.body.totalResults, middle.body.startIndex, middle.body.itemsPerPage], [5, 3, 2])
      t.same(ids(middle.body), [users[2], groups[0]])
      t.same(ids((await run({ startIndex: 5, count: 10 })).body), [groups[1]])
      t.same((await run({ count: 0 })).body.Resources, [])
    })

    t.test('a startIndex past any result (even past 2^63) is an empty page, never a 5xx (RFC 7644 §3.4.2.4)', async (t) => {
      for (const startIndex of [1e20, '1e20', '9223372036854775807', 9223372036854775807, '1e308']) {
        const res = await run({ startIndex, count: 5 })
        t.equal(res.status, 200, `startIndex ${JSON.stringify(startIndex)}`)
        t.same(res.body.Resources ?? [], [])
        t.equal(res.body.totalResults, 5, 'the exact total still')
        t.ok(Number.isSafeInteger(res.body.startIndex))
      }
      t.same((await run({ startIndex: -1e20, count: 1 })).body.startIndex, 1, 'below 1 counts as 1')
      t.same([(await run({ startIndex: 'abc' })).status, (await run({ startIndex: 'abc' })).body.scimType], [400, 'invalidValue'])
    })

    t.test('a filter applies to each type that has its attributes', async (t) => {
      const both = await run({ filter: 'displayName eq "engineering"' })
      t.same(ids(both.body).sort(), [users[1], groups[0]].sort(), 'User.displayName and Group.displayName')
      t.same(ids((await run({ filter: 'userName sw "a"' })).body), [users[0]], 'Users only')
      t.same(ids((await run({ filter: `members[value eq "${users[0]}"]` })).body), groups, 'Groups only')
      const bad = await run({ filter: 'shoeSize eq 42' })
      t.equal(bad.status, 400)
      t.equal(bad.body.scimType, 'invalidFilter')
      t.equal((await run({ filter: 'displayName eq' })).status, 400)
    })

    t.test('a body that is not a SearchRequest object is 400 on every .search', async (t) => {
      for (const path of ['/.search', '/Users/.search', '/Groups/.search']) {
        for (const body of [[1, 2], 'null', 5]) {
          const res = await scim(app, team, 'POST', path, body)
          t.equal(res.statusCode, 400, `${path} ${JSON.stringify(body)}`)
          t.equal(res.json().scimType, 'invalidSyntax')
        }
      }
    })

    t.test('attributes apply to the types that have them', async (t) => {
      const { body } = await run({ attributes: ['userName', 'displayName'] })
      const user = body.Resources.find((r: { id: string }) => r.id === users[0])
      const group = body.Resources.find((r: { id: string }) => r.id === groups[0])
      t.same(Object.keys(user).sort(), ['displayName', 'id', 'meta', 'schemas', 'userName'])
      t.same(Object.keys(group).sort(), ['displayName', 'id', 'meta', 'schemas'])
      t.equal((await run({ attributes: ['nope'] })).status, 400)
    })
  })
}
