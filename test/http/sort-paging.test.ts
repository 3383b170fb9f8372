import t from 'tap'
import { URN } from '../../src/scim/core/schemas.js'
import { scim, scimTeam, testApp, type ScimTeam } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

interface Listed {
  totalResults: number
  startIndex?: number
  itemsPerPage: number
  nextCursor?: string
  Resources: { id: string; userName: string; displayName?: string }[]
}

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    const team: ScimTeam = await scimTeam(app, 'sorting')
    const people = [
      { userName: 'carl@x.io', name: { familyName: 'Zed' }, emails: [{ value: 'b@home.io' }, { value: 'z@work.io', primary: true }] },
      { userName: 'Bob@x.io', name: { familyName: 'adams' }, emails: [{ value: 'a@home.io' }] },
      { userName: 'alice@x.io', emails: [{ value: 'c@home.io' }] },
      { userName: 'dora@x.io', name: { familyName: 'Adams' } },
    ]
    const ids: Record<string, string> = {}
    for (const person of people) ids[person.userName] = (await scim(app, team, 'POST', '/Users', person)).json().id
    const list = async (query: string) => {
      const res = await scim(app, team, 'GET', `/Users?${query}`)
      return { status: res.statusCode, body: res.json() as Listed & { scimType?: string } }
    }
    const names = (body: Listed) => body.Resources.map((u) => u.userName)

    t.test('sortBy and sortOrder, case-insensitive where the attribute is, ties by id', async (t) => {
      t.same(names((await list('sortBy=userName')).body), ['alice@x.io', 'Bob@x.io', 'carl@x.io', 'dora@x.io'])
      t.same(names((await list('sortBy=USERNAME&sortOrder=descending')).body), ['dora@x.io', 'carl@x.io', 'Bob@x.io', 'alice@x.io'])
      const byFamily = names((await list('sortBy=name.familyName')).body)
      t.same(byFamily.slice(0, 2).sort(), ['Bob@x.io', 'dora@x.io'], '"adams" and "Adams" tie when folded')
      t.same(byFamily.slice(0, 2), [ids['Bob@x.io']! < ids['dora@x.io']! ? 'Bob@x.io' : 'dora@x.io', ids['Bob@x.io']! < ids['dora@x.io']! ? 'dora@x.io' : 'Bob@x.io'], 'the tie is broken by id')
      t.same(byFamily.slice(2), ['carl@x.io', 'alice@x.io'], 'a missing value sorts last in ascending order')
      t.same(names((await list('sortBy=emails')).body), ['Bob@x.io', 'alice@x.io', 'carl@x.io', 'dora@x.io'], 'the primary email, else the first')
      t.same(names((await list('sortBy=meta.created&sortOrder=descending&startIndex=2&count=2')).body), ['alice@x.io', 'Bob@x.io'])
      t.same(names((await list(`sortBy=${encodeURIComponent(`${URN.user}:userName`)}`)).body)[0], 'alice@x.io')
      for (const bad of ['shoeSize', 'name', 'emails[type eq "work"]', 'groups.value']) {
        const res = await list(`sortBy=${encodeURIComponent(bad)}`)
        t.equal(res.status, 400, bad)
        t.equal(res.body.scimType, 'invalidValue', bad)
      }
      t.equal((await list('sortBy=userName&sortOrder=sideways')).status, 400)
    })

    t.test('cursor paging (RFC 9865) walks every user once, even with inserts on the way', async (t) => {
      const seen: string[] = []
      let page = (await list('cursor=&count=2')).body
      t.equal(page.startIndex, undefined, 'no startIndex with a cursor')
      t.equal(page.totalResults, 4)
      t.ok(page.nextCursor)
      seen.push(...page.Resources.map((u) => u.id))
      await scim(app, team, 'POST', '/Users', { userName: 'late@x.io' })
      for (let i = 0; i < 10 && page.nextCursor; i++) {
        page = (await list(`cursor=${page.nextCursor}&count=2`)).body
        seen.push(...page.Resources.map((u) => u.id))
      }
      t.equal(page.nextCursor, undefined, 'the last page has no nextCursor')
      t.equal(new Set(seen).size, seen.length, 'no user twice')
      t.ok(Object.values(ids).every((id) => seen.includes(id)), 'every user that existed before the walk')
      t.same([...seen].sort(), seen, 'in id order')
      const first = (await list(`cursor=&count=1&filter=${encodeURIComponent('userName sw "a"')}`)).body
      t.equal(first.totalResults, 1)
      t.equal(first.nextCursor, undefined)
    })

    t.test('a cursor is bound to its list, and cursor paging excludes startIndex and sortBy', async (t) => {
      const { nextCursor } = (await list('cursor=&count=1')).body
      const other = await list(`cursor=${nextCursor}&count=1&filter=${encodeURIComponent('userName pr')}`)
      t.equal(other.status, 400)
      t.equal(other.body.scimType, 'invalidCursor')
      t.equal((await list('cursor=garbage')).body.scimType, 'invalidCursor')
      t.equal((await scim(app, team, 'GET', `/Groups?cursor=${nextCursor}`)).json().scimType, 'invalidCursor', 'a Users cursor is no Groups cursor')
      t.equal((await list('cursor=&startIndex=2')).status, 400)
      t.equal((await list('cursor=&sortBy=userName')).status, 400)
    })

    t.test('ServiceProviderConfig advertises sorting and both paging methods', async (t) => {
      const config = (await scim(app, team, 'GET', '/ServiceProviderConfig')).json()
      t.equal(config.sort.supported, true)
      t.same([config.pagination.cursor, config.pagination.index, config.pagination.defaultPaginationMethod], [true, true, 'index'])
    })
  })
}
