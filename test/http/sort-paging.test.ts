import { createHash } from 'node:crypto'
import { t } from '../helpers/file-test.js'
import type { LightMyRequestResponse } from 'fastify'
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
      return { status: res.statusCode, body: res.json<Listed & { scimType?: string }>() }
    }
    const names = (body: Listed) => body.Resources.map((u) => u.userName)

    t.test('sortBy and sortOrder, case-insensitive where the attribute is, ties by id', async (t) => {
      t.same(names((await list('sortBy=userName')).body), ['alice@x.io', 'Bob@x.io', 'carl@x.io', 'dora@x.io'])
      t.same(names((await list('sortBy=USERNAME&sortOrder=descending')).body), ['dora@x.io', 'carl@x.io', 'Bob@x.io', 'alice@x.io'])
      const byFamily = names((await list('sortBy=name.familyName')).body)
      t.same(byFamily.slice(0, 2).sort(), ['Bob@x.io', 'dora@x.io'], '"adams" and "Adams" tie when folded')
      t.same(
        byFamily.slice(0, 2),
        [ids['Bob@x.io']! < ids['dora@x.io']! ? 'Bob@x.io' : 'dora@x.io', ids['Bob@x.io']! < ids['dora@x.io']! ? 'dora@x.io' : 'Bob@x.io'],
        'the tie is broken by id',
      )
      t.same(byFamily.slice(2), ['carl@x.io', 'alice@x.io'], 'a missing value sorts last in ascending order')
      t.same(
        names((await list('sortBy=emails')).body),
        ['Bob@x.io', 'alice@x.io', 'carl@x.io', 'dora@x.io'],
        'the primary email, else the first',
      )
      t.same(names((await list('sortBy=meta.created&sortOrder=descending&startIndex=2&count=2')).body), ['alice@x.io', 'Bob@x.io'])
      t.same(names((await list(`sortBy=${encodeURIComponent(`${URN.user}:userName`)}`)).body)[0], 'alice@x.io')
      for (const bad of ['shoeSize', 'name', 'emails[type eq "work"]', 'groups.value']) {
        const res = await list(`sortBy=${encodeURIComponent(bad)}`)
        t.equal(res.status, 400, bad)
        t.equal(res.body.scimType, 'invalidValue', bad)
      }
      t.equal((await list('sortBy=userName&sortOrder=sideways')).status, 400)
    })

    t.test('sortOrder=descending without sortBy reverses the default order, on an eq lookup as on the whole list', async (t) => {
      const other = await scimTeam(app, 'sorting-eq')
      const created: string[] = []
      for (const userName of ['first@x.io', 'second@x.io', 'third@x.io']) {
        created.push(
          (await scim(app, other, 'POST', '/Users', { schemas: [URN.user], userName, externalId: 'shared' })).json<{ id: string }>().id,
        )
      }
      const ids = async (query: string) =>
        (await scim(app, other, 'GET', `/Users?${query}`)).json<{ Resources: { id: string }[] }>().Resources.map((u) => u.id)
      const eq = `filter=${encodeURIComponent('externalId eq "shared"')}`
      t.same(await ids(eq), created, 'the eq lookup in creation order')
      t.same(await ids(`${eq}&sortOrder=descending`), [...created].reverse(), 'reversed, as the whole list is')
      t.same(await ids('sortOrder=descending'), [...created].reverse())
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
      t.ok(
        Object.values(ids).every((id) => seen.includes(id)),
        'every user that existed before the walk',
      )
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
      t.equal(
        (await scim(app, team, 'GET', `/Groups?cursor=${nextCursor}`)).json().scimType,
        'invalidCursor',
        'a Users cursor is no Groups cursor',
      )
      t.equal((await list('cursor=&startIndex=2')).status, 400)
      t.equal((await list('cursor=&sortBy=userName')).status, 400)
    })

    t.test('forged cursors are 400 invalidCursor, never a 5xx; genuine ones page Users and Groups through', async (t) => {
      const groupIds: string[] = []
      for (const name of ['g1', 'g2', 'g3']) groupIds.push((await scim(app, team, 'POST', '/Groups', { displayName: name })).json().id)
      const genuine = (await list('cursor=&count=1')).body.nextCursor!
      const [payload = '', signature = ''] = genuine.split('.')
      const otherId = Object.values(ids).find((id) => !genuine.includes(Buffer.from(id).toString('base64url')))!
      const reencode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
      // The forgery of the issue: the old cursor format, with the unkeyed fingerprint anyone could compute.
      const unkeyed = createHash('sha256').update(`${URN.user}|`).digest('base64url').slice(0, 16)
      const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1)
      const otherReplica = await testApp(db, { cursorKey: 'another-cursor-key-0123456789abcdefghij' })
      t.teardown(() => otherReplica.close())
      const otherKeys = (await scim(otherReplica, team, 'GET', '/Users?cursor=&count=1')).json().nextCursor as string
      t.ok(otherKeys, 'a replica with another key issues a cursor')
      const forged: Record<string, string> = {
        '36 dashes': '-'.repeat(36),
        '36 dashes, in the unsigned format': reencode({ a: '-'.repeat(36), q: unkeyed }),
        'another id, in the unsigned format': reencode({ a: otherId, q: unkeyed }),
        'another id under the same signature': `${reencode({ a: otherId })}.${signature}`,
        'an altered signature': `${payload}.${flip(signature, 20)}`,
        'no signature': payload,
        'signed with another key': otherKeys,
        'garbage base64': `${'!@#$%^&*'.repeat(4)}.${'='.repeat(43)}`,
        garbage: 'garbage',
        'two dots': `${payload}.${signature}.${signature}`,
        huge: `${payload}${'A'.repeat(100_000)}.${signature}`,
        'huge, all base64': 'A'.repeat(500_000),
      }
      for (const [what, cursor] of Object.entries(forged)) {
        for (const path of ['/Users', '/Groups']) {
          const get = await scim(app, team, 'GET', `${path}?cursor=${encodeURIComponent(cursor)}&count=1`)
          const search = await scim(app, team, 'POST', `${path}/.search`, { schemas: [URN.searchRequest], cursor, count: 1 })
          for (const [form, res] of [
            ['GET', get],
            ['.search', search],
          ] as const) {
            t.equal(res.statusCode, 400, `${what}: ${path} ${form}: ${res.body.slice(0, 120)}`)
            t.equal(res.json().scimType, 'invalidCursor', what)
          }
        }
      }
      for (const [path, expected] of [
        ['/Users', Object.keys(ids).length + 1],
        ['/Groups', groupIds.length],
      ] as const) {
        for (const method of ['GET', 'POST'] as const) {
          const seen: string[] = []
          let cursor: string | undefined = ''
          for (let i = 0; i < 20 && cursor !== undefined; i++) {
            const res: LightMyRequestResponse =
              method === 'GET'
                ? await scim(app, team, 'GET', `${path}?cursor=${encodeURIComponent(cursor)}&count=2`)
                : await scim(app, team, 'POST', `${path}/.search`, { schemas: [URN.searchRequest], cursor, count: 2 })
            t.equal(res.statusCode, 200, `${path} ${method} page ${i}`)
            const body = res.json<Listed>()
            seen.push(...body.Resources.map((r) => r.id))
            cursor = body.nextCursor
          }
          t.equal(new Set(seen).size, expected, `${method} ${path}: a genuine cursor pages through every resource once`)
        }
      }
      const otherReplicasOwn = await scim(otherReplica, team, 'GET', `/Users?cursor=${encodeURIComponent(otherKeys)}&count=1`)
      t.equal(otherReplicasOwn.statusCode, 200, 'a cursor verifies under the key that signed it')
    })

    t.test('a startIndex past any result (even past 2^63) is an empty page, never a 5xx (RFC 7644 §3.4.2.4)', async (t) => {
      for (const path of ['/Users', '/Groups']) {
        const total = (await scim(app, team, 'GET', `${path}?count=0`)).json().totalResults as number
        for (const startIndex of ['1e20', '9223372036854775807', '9223372036854775808', '9007199254740993', String(2 ** 53), '1e308']) {
          const get = await scim(app, team, 'GET', `${path}?startIndex=${startIndex}&count=5`)
          const search = await scim(app, team, 'POST', `${path}/.search`, {
            schemas: [URN.searchRequest],
            startIndex: Number(startIndex),
            count: 5,
          })
          const searchText = await scim(app, team, 'POST', `${path}/.search`, { schemas: [URN.searchRequest], startIndex, count: 5 })
          for (const [form, res] of [
            ['GET', get],
            ['.search', search],
            ['.search (string)', searchText],
          ] as const) {
            t.equal(res.statusCode, 200, `${path} ${form} startIndex=${startIndex}: ${res.body.slice(0, 120)}`)
            const body = res.json<Listed>()
            t.same(body.Resources ?? [], [], 'no resources past the end')
            t.equal(body.totalResults, total, 'the exact total still')
            t.ok(Number.isSafeInteger(body.startIndex), 'startIndex echoed as an exact integer')
          }
        }
        // Unchanged: below 1 counts as 1 (RFC 7644 §3.4.2.4), and what is no integer is a 400.
        t.equal((await scim(app, team, 'GET', `${path}?startIndex=-9223372036854775809`)).json().startIndex, 1)
        t.equal((await scim(app, team, 'GET', `${path}?startIndex=0`)).json().startIndex, 1)
        for (const bad of ['abc', '1.5', 'Infinity', '1e400']) {
          const res = await scim(app, team, 'GET', `${path}?startIndex=${bad}`)
          t.same([res.statusCode, res.json().scimType], [400, 'invalidValue'], `${path} startIndex=${bad}`)
        }
      }
    })

    t.test('ServiceProviderConfig advertises sorting and both paging methods', async (t) => {
      const config = (await scim(app, team, 'GET', '/ServiceProviderConfig')).json()
      t.equal(config.sort.supported, true)
      t.same([config.pagination.cursor, config.pagination.index, config.pagination.defaultPaginationMethod], [true, true, 'index'])
    })
  })
}
