import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { admin, BASE_URL, scim, scimTeam, type ScimTeam } from '../helpers/app.js'
import { testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

const user = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [URN.user],
  userName,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: userName, type: 'work', primary: true }],
  active: true,
  ...extra,
})

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    let team: ScimTeam
    t.beforeEach(async () => {
      await db.reset()
      team = await scimTeam(app, 't1')
    })
    const count = async (table: string, where = 'true') =>
      (await db.rows<{ n: number }>(`select count(*)::int as n from ${table} where ${where}`))[0]!.n
    const members = async (teamId = 't1') =>
      (await admin(app, 'GET', `/teams/${teamId}/members`)).json().members as { email: string; role: string; accountId: string }[]
    const snapshot = async () => ({
      accounts: await db.rows('select * from accounts order by id'),
      memberships: await db.rows('select * from team_memberships order by account_id'),
      users: await db.rows('select * from scim_users order by id'),
    })

    t.test('POST creates the account and adds it as Member', async (t) => {
      const res = await scim(app, team, 'POST', '/Users', user('ada@example.com', { externalId: 'okta-1', password: 'hunter2' }))
      t.equal(res.statusCode, 201)
      t.match(res.headers['content-type'], /^application\/scim\+json; charset=utf-8/)
      const body = res.json()
      t.match(body.id, /^[0-9a-f-]{36}$/)
      t.equal(res.headers.location, `${BASE_URL}/scim/v2/${team.endpointId}/Users/${body.id}`)
      t.equal(body.meta.location, res.headers.location)
      t.equal(res.headers.etag, 'W/"1"')
      t.same(body.schemas, [URN.user])
      t.equal(body.meta.resourceType, 'User')
      t.equal(body.userName, 'ada@example.com')
      t.equal(body.externalId, 'okta-1')
      t.equal(body.active, true)
      t.notOk('password' in body, 'password is never returned')
      t.notOk(JSON.stringify(await db.rows('select doc from scim_users')).includes('hunter2'), 'nor stored')
      t.same(
        (await members()).map((m) => [m.email, m.role]),
        [
          ['owner@t1.example', 'owner'],
          ['ada@example.com', 'member'],
        ],
      )
    })

    t.test('POST reuses an existing account found by email, case-insensitively', async (t) => {
      await admin(app, 'PUT', '/teams/t2', { body: { name: 'T2', owner: { email: 'boss@t2.example' } } })
      const [before] = await db.rows<{ n: number }>('select count(*)::int as n from accounts')
      const res = await scim(app, team, 'POST', '/Users', user('BOSS@t2.example'))
      t.equal(res.statusCode, 409, 'the account is in team t2')
      t.equal(res.json().detail, 'User is already a member of a different team')
      t.equal(res.json().status, '409')
      t.equal(await count('accounts'), before!.n, 'no account created')
      t.equal(await count('scim_users'), 0)

      const owner = await scim(app, team, 'POST', '/Users', user('Owner@T1.example'))
      t.equal(owner.statusCode, 201, 'the Owner of this team is linked')
      t.same(
        (await members()).map((m) => [m.email, m.role]),
        [['owner@t1.example', 'owner']],
        'and keeps the owner role',
      )
    })

    t.test('the account email: primary, else work, else userName', async (t) => {
      const res = await scim(app, team, 'POST', '/Users', {
        userName: 'jdoe',
        emails: [
          { value: 'home@example.com', type: 'home' },
          { value: 'work@example.com', type: 'work' },
        ],
      })
      t.equal(res.statusCode, 201)
      t.ok((await members()).some((m) => m.email === 'work@example.com'))
      const none = await scim(app, team, 'POST', '/Users', { userName: 'no-email' })
      t.equal(none.statusCode, 400)
      t.equal(none.json().scimType, 'invalidValue')
    })

    t.test('two users with one email stand for one account; it leaves the team when the last one goes', async (t) => {
      // Microsoft Entra ID does not keep mail unique, and its test collection creates such users.
      const a = await scim(app, team, 'POST', '/Users', user('emp1', { emails: [{ value: 'anna@example.com', primary: true }] }))
      const b = await scim(app, team, 'POST', '/Users', user('emp2', { emails: [{ value: 'anna@example.com', primary: true }] }))
      t.same([a.statusCode, b.statusCode], [201, 201])
      t.equal(await count('accounts', "email = 'anna@example.com'"), 1)
      const deactivate = (id: string) =>
        scim(app, team, 'PATCH', `/Users/${id}`, { schemas: [URN.patchOp], Operations: [{ op: 'replace', value: { active: false } }] })
      await deactivate(a.json().id)
      t.ok(
        (await members()).some((m) => m.email === 'anna@example.com'),
        'still a member through emp2',
      )
      await scim(app, team, 'DELETE', `/Users/${b.json().id}`)
      t.notOk(
        (await members()).some((m) => m.email === 'anna@example.com'),
        'gone with the last active user',
      )
      await scim(app, team, 'PATCH', `/Users/${a.json().id}`, {
        schemas: [URN.patchOp],
        Operations: [{ op: 'replace', value: { active: true } }],
      })
      t.ok(
        (await members()).some((m) => m.email === 'anna@example.com' && m.role === 'member'),
        'back as Member',
      )
    })

    t.test('a duplicate userName is 409 uniqueness, compared case-insensitively', async (t) => {
      await scim(app, team, 'POST', '/Users', user('ada@example.com'))
      const res = await scim(app, team, 'POST', '/Users', user('ADA@example.com'))
      t.equal(res.statusCode, 409)
      t.equal(res.json().scimType, 'uniqueness')
      t.equal(await count('scim_users'), 1)
    })

    t.test('bad input is 400 with a SCIM error and changes nothing', async (t) => {
      await scim(app, team, 'POST', '/Users', user('ada@example.com'))
      const before = await snapshot()
      const cases: [unknown, string, RegExp][] = [
        [{ schemas: [URN.user], name: { givenName: 'x' } }, 'invalidValue', /userName/],
        [{ userName: '   ' }, 'invalidValue', /userName/],
        [{ userName: 'b@x.io', displayName: 5 }, 'invalidValue', /displayName/],
        [{ userName: 'b@x.io', active: 'maybe' }, 'invalidValue', /active/],
        [{ userName: 'b@x.io', name: 'Bob' }, 'invalidValue', /name/],
        [{ userName: 'b@x.io', emails: [{ value: 1 }] }, 'invalidValue', /emails.value/],
        [
          {
            userName: 'b@x.io',
            emails: [
              { value: 'a@x.io', primary: true },
              { value: 'b@x.io', primary: true },
            ],
          },
          'invalidValue',
          /primary/,
        ],
        [[1, 2], 'invalidSyntax', /object/],
      ]
      for (const [body, scimType, detail] of cases) {
        const res = await scim(app, team, 'POST', '/Users', body)
        t.equal(res.statusCode, 400, JSON.stringify(body))
        t.equal(res.json().scimType, scimType)
        t.match(res.json().detail, detail)
        t.same(res.json().schemas, [URN.error])
      }
      const malformed = await app.inject({
        method: 'POST',
        url: `${team.base}/Users`,
        headers: { authorization: `Bearer ${team.token}`, 'content-type': 'application/scim+json' },
        payload: '{"userName": "x@y.z",',
      })
      t.equal(malformed.statusCode, 400)
      t.equal(malformed.json().scimType, 'invalidSyntax')
      for (const payload of [
        '{"userName":"nul\\u0000@x.io"}',
        '{"userName":"half\\ud83d@x.io"}',
        '{"userName":"b@x.io","title":"\\ude00"}',
      ]) {
        const unstorable = await app.inject({
          method: 'POST',
          url: `${team.base}/Users`,
          headers: { authorization: `Bearer ${team.token}`, 'content-type': 'application/scim+json' },
          payload,
        })
        t.equal(unstorable.statusCode, 400, payload)
        t.equal(unstorable.json().scimType, 'invalidSyntax')
      }
      const noBody = await app.inject({
        method: 'POST',
        url: `${team.base}/Users`,
        headers: { authorization: `Bearer ${team.token}`, 'content-type': 'application/scim+json' },
      })
      t.equal(noBody.statusCode, 400)
      const wrongType = await app.inject({
        method: 'POST',
        url: `${team.base}/Users`,
        headers: { authorization: `Bearer ${team.token}`, 'content-type': 'text/xml' },
        payload: '<user/>',
      })
      t.equal(wrongType.statusCode, 415)
      t.same(wrongType.json().schemas, [URN.error])
      t.same(await snapshot(), before, 'nothing changed')
    })

    t.test('text that only looks unstorable is stored as sent', async (t) => {
      const emoji = await app.inject({
        method: 'POST',
        url: `${team.base}/Users`,
        headers: { authorization: `Bearer ${team.token}`, 'content-type': 'application/scim+json' },
        payload: '{"userName":"emoji@x.io","title":"\\ud83d\\ude00 and \\\\u0000 as text"}',
      })
      t.equal(emoji.statusCode, 201, 'a surrogate pair and an escaped backslash are fine')
      t.equal(emoji.json().title, '\u{1F600} and \\u0000 as text')
      await scim(app, team, 'DELETE', `/Users/${emoji.json().id}`)
    })

    t.test('string booleans (Entra), unknown attributes and attribute case are accepted', async (t) => {
      const res = await scim(app, team, 'POST', '/Users', {
        SCHEMAS: [URN.user],
        USERNAME: 'ada@example.com',
        Active: 'False',
        favouriteColour: 'teal',
        [URN.enterpriseUser.toUpperCase()]: { Department: 'R&D', manager: { value: 'mgr-1' } },
      })
      t.equal(res.statusCode, 201)
      const body = res.json()
      t.equal(body.userName, 'ada@example.com')
      t.equal(body.active, false)
      t.notOk('favouriteColour' in body)
      t.same(body[URN.enterpriseUser], { department: 'R&D', manager: { value: 'mgr-1' } })
      t.same(body.schemas, [URN.user, URN.enterpriseUser])
      t.equal((await members()).length, 1, 'created inactive: not a member')
    })

    t.test('GET by id; unknown and other-team ids are 404', async (t) => {
      const created = (await scim(app, team, 'POST', '/Users', user('ada@example.com'))).json()
      const res = await scim(app, team, 'GET', `/Users/${created.id}`)
      t.equal(res.statusCode, 200)
      t.same(res.json(), created)
      t.equal((await scim(app, team, 'GET', '/Users/00000000-0000-4000-8000-000000000000')).statusCode, 404)
      const notUuid = await scim(app, team, 'GET', '/Users/not-a-uuid')
      t.equal(notUuid.statusCode, 404)
      t.same(notUuid.json().schemas, [URN.error])

      const other = await scimTeam(app, 't2')
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        const body =
          method === 'PUT'
            ? user('x@t2.example')
            : method === 'PATCH'
              ? { schemas: [URN.patchOp], Operations: [{ op: 'replace', value: { active: false } }] }
              : undefined
        const res = await scim(app, other, method, `/Users/${created.id}`, body)
        t.equal(res.statusCode, 404, `${method} of another team's user`)
      }
      const list = (await scim(app, other, 'GET', '/Users')).json()
      t.equal(list.totalResults, 0, "another team's list does not see it")
      t.equal((await scim(app, team, 'GET', `/Users/${created.id}`)).json().active, true, 'unchanged')
    })

    t.test('PUT replaces: missing attributes are cleared, readOnly ignored, profile synced', async (t) => {
      const created = (await scim(app, team, 'POST', '/Users', user('ada@example.com', { title: 'Countess', displayName: 'Ada' }))).json()
      const res = await scim(app, team, 'PUT', `/Users/${created.id}`, {
        schemas: [URN.user],
        id: 'ignored',
        meta: { created: '1999-01-01T00:00:00Z' },
        userName: 'ada@example.com',
        displayName: 'Ada King',
        emails: [{ value: 'ada.king@example.com', type: 'work', primary: true }],
        active: true,
      })
      t.equal(res.statusCode, 200)
      const body = res.json()
      t.equal(body.id, created.id)
      t.equal(body.meta.created, created.meta.created)
      t.notOk('title' in body, 'title cleared')
      t.notOk('name' in body, 'name cleared')
      t.equal(body.meta.version, 'W/"2"')
      const ada = (await members()).find((m) => m.role === 'member')!
      t.equal(ada.email, 'ada.king@example.com', 'the account email follows')

      await scim(app, team, 'POST', '/Users', user('bob@example.com'))
      const clash = await scim(
        app,
        team,
        'PUT',
        `/Users/${created.id}`,
        user('ada@example.com', { emails: [{ value: 'BOB@example.com', primary: true }] }),
      )
      t.equal(clash.statusCode, 409, 'an email another member of this team has (tenant-isolation.test.ts has the rest)')
      t.equal(clash.json().scimType, 'uniqueness')
      t.equal((await members()).find((m) => m.accountId === ada.accountId)!.email, 'ada.king@example.com', 'the account keeps its own')
      const clashName = await scim(app, team, 'PUT', `/Users/${created.id}`, user('Bob@Example.com'))
      t.equal(clashName.statusCode, 409, 'a userName another user has')
      t.equal(clashName.json().scimType, 'uniqueness')
    })

    t.test('deactivate keeps the user and the account; reactivate restores Member with the same ids', async (t) => {
      const created = (await scim(app, team, 'POST', '/Users', user('ada@example.com'))).json()
      const accountId = (await members()).find((m) => m.email === 'ada@example.com')!.accountId
      const off = await scim(app, team, 'PATCH', `/Users/${created.id}`, {
        schemas: [URN.patchOp],
        Operations: [{ op: 'replace', value: { active: false } }],
      })
      t.equal(off.statusCode, 200)
      t.equal(off.json().active, false)
      t.equal((await members()).length, 1, 'membership removed')
      t.equal(await count('accounts', `id = '${accountId}'`), 1, 'account kept')
      t.equal((await scim(app, team, 'GET', `/Users/${created.id}`)).json().active, false, 'GET still returns it')
      const found = (await scim(app, team, 'GET', `/Users?filter=${encodeURIComponent('userName eq "ada@example.com"')}`)).json()
      t.equal(found.totalResults, 1, 'filters still find it')

      const on = await scim(app, team, 'PUT', `/Users/${created.id}`, user('ada@example.com', { active: true }))
      t.equal(on.statusCode, 200)
      const back = (await members()).find((m) => m.email === 'ada@example.com')!
      t.same([back.accountId, back.role], [accountId, 'member'], 'same account, Member again')
      t.equal(await count('accounts'), 2, 'no second account')
    })

    t.test('re-POST of an inactive userName reactivates in place (Okta unassign + reassign)', async (t) => {
      const created = (await scim(app, team, 'POST', '/Users', user('ada@example.com'))).json()
      await scim(app, team, 'PATCH', `/Users/${created.id}`, {
        schemas: [URN.patchOp],
        Operations: [{ op: 'replace', value: { active: false } }],
      })
      const again = await scim(app, team, 'POST', '/Users', user('Ada@example.com', { title: 'Analyst' }))
      t.equal(again.statusCode, 201)
      t.equal(again.json().id, created.id, 'the SCIM id stays the same')
      t.equal(again.json().title, 'Analyst')
      t.equal(await count('scim_users'), 1)
      t.equal(await count('accounts'), 2)
      t.ok((await members()).some((m) => m.email === 'ada@example.com' && m.role === 'member'))
    })

    t.test('reactivation while the account joined another team is 409', async (t) => {
      const created = (await scim(app, team, 'POST', '/Users', user('ada@example.com'))).json()
      await scim(app, team, 'PATCH', `/Users/${created.id}`, {
        schemas: [URN.patchOp],
        Operations: [{ op: 'replace', value: { active: false } }],
      })
      const other = await scimTeam(app, 't2')
      t.equal((await scim(app, other, 'POST', '/Users', user('ada@example.com'))).statusCode, 201)
      const res = await scim(app, team, 'PATCH', `/Users/${created.id}`, {
        schemas: [URN.patchOp],
        Operations: [{ op: 'replace', value: { active: true } }],
      })
      t.equal(res.statusCode, 409)
      t.equal(res.json().detail, 'User is already a member of a different team')
      t.equal((await scim(app, team, 'GET', `/Users/${created.id}`)).json().active, false, 'unchanged')
    })

    t.test('DELETE removes the SCIM user and the membership, keeps the account', async (t) => {
      const created = (await scim(app, team, 'POST', '/Users', user('ada@example.com'))).json()
      const res = await scim(app, team, 'DELETE', `/Users/${created.id}`)
      t.equal(res.statusCode, 204)
      t.equal(res.body, '')
      t.equal((await scim(app, team, 'GET', `/Users/${created.id}`)).statusCode, 404)
      t.equal((await scim(app, team, 'DELETE', `/Users/${created.id}`)).statusCode, 404)
      t.equal((await members()).length, 1)
      t.equal(await count('accounts'), 2, 'account kept')
    })

    t.test('Team Owners cannot be deprovisioned', async (t) => {
      const owner = (await scim(app, team, 'POST', '/Users', user(team.ownerEmail))).json()
      const before = await snapshot()
      const attempts = [
        await scim(app, team, 'PATCH', `/Users/${owner.id}`, {
          schemas: [URN.patchOp],
          Operations: [{ op: 'replace', value: { active: false } }],
        }),
        await scim(app, team, 'PATCH', `/Users/${owner.id}`, {
          schemas: [URN.patchOp],
          Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
        }),
        await scim(app, team, 'PUT', `/Users/${owner.id}`, user(team.ownerEmail, { active: false })),
        await scim(app, team, 'DELETE', `/Users/${owner.id}`),
      ]
      for (const res of attempts) {
        t.equal(res.statusCode, 403)
        t.match(res.json().detail, /Team Owners cannot be deprovisioned/)
      }
      t.same(await snapshot(), before, 'nothing changed')
    })

    t.test('ETags: If-Match guards writes, If-None-Match saves a GET', async (t) => {
      const created = await scim(app, team, 'POST', '/Users', user('ada@example.com'))
      const id = created.json().id
      const stale = await scim(app, team, 'PUT', `/Users/${id}`, user('ada@example.com'), { 'if-match': 'W/"7"' })
      t.equal(stale.statusCode, 412)
      t.same(stale.json().schemas, [URN.error])
      const fresh = await scim(app, team, 'PUT', `/Users/${id}`, user('ada@example.com', { title: 'x' }), {
        'if-match': created.headers.etag as string,
      })
      t.equal(fresh.statusCode, 200)
      t.equal((await scim(app, team, 'DELETE', `/Users/${id}`, undefined, { 'if-match': created.headers.etag as string })).statusCode, 412)
      const notModified = await scim(app, team, 'GET', `/Users/${id}`, undefined, { 'if-none-match': fresh.headers.etag as string })
      t.equal(notModified.statusCode, 304)
      t.equal(
        (await scim(app, team, 'GET', `/Users/${id}`, undefined, { 'if-none-match': created.headers.etag as string })).statusCode,
        200,
      )
    })

    t.test('lists page and filter by userName, externalId and emails.value', async (t) => {
      for (let i = 1; i <= 5; i++) {
        await scim(
          app,
          team,
          'POST',
          '/Users',
          user(`u${i}@example.com`, { externalId: `ext-${i}`, emails: [{ value: `mail${i}@example.com`, type: 'work' }] }),
        )
      }
      const page = (await scim(app, team, 'GET', '/Users?startIndex=2&count=2')).json()
      t.same([page.totalResults, page.startIndex, page.itemsPerPage, page.Resources.length], [5, 2, 2, 2])
      t.same(page.schemas, [URN.listResponse])
      t.same(
        page.Resources.map((u: { userName: string }) => u.userName),
        ['u2@example.com', 'u3@example.com'],
      )
      const q = (filter: string) => scim(app, team, 'GET', `/Users?filter=${encodeURIComponent(filter)}&startIndex=1&count=100`)
      t.same(
        (await q('userName eq "U3@EXAMPLE.COM"')).json().Resources.map((u: { externalId: string }) => u.externalId),
        ['ext-3'],
      )
      t.equal((await q('externalId eq "ext-4"')).json().totalResults, 1)
      t.equal((await q('externalId eq "EXT-4"')).json().totalResults, 0, 'externalId is caseExact')
      t.equal((await q('emails.value eq "mail5@example.com"')).json().totalResults, 1)
      t.equal((await q('emails[type eq "work" and value eq "mail1@example.com"]')).json().totalResults, 1)
      t.equal((await q('emails[value eq "MAIL2@example.com"]')).json().totalResults, 1, 'emails compare case-insensitively')
      t.equal((await q('emails.value eq "mail2@example.co"')).json().totalResults, 0, 'whole values only')
      t.equal((await q(`${URN.user}:externalId eq "ext-5"`)).json().totalResults, 1, 'URN-qualified')
      t.equal((await q('userName eq "nobody@example.com"')).json().totalResults, 0)
      const zero = (await scim(app, team, 'GET', '/Users?count=0')).json()
      t.same([zero.totalResults, zero.itemsPerPage, zero.Resources], [5, 0, []])
      const low = (await scim(app, team, 'GET', '/Users?startIndex=0&count=1')).json()
      t.equal(low.startIndex, 1, 'startIndex below 1 counts as 1')
      for (const bad of ['nickName2 eq "x"', 'userName eq', 'userName xx "a"', '(userName eq "a"']) {
        const res = await q(bad)
        t.equal(res.statusCode, 400, bad)
        t.equal(res.json().scimType, 'invalidFilter')
      }
      t.equal((await scim(app, team, 'GET', '/Users?count=abc')).statusCode, 400)
    })

    t.test('IdPs join paths differently: //Users, /Users/ and /users reach the same route', async (t) => {
      await scim(app, team, 'POST', '/Users', user('ada@example.com'))
      for (const path of ['//Users', '/Users/', '/users', '//users/']) {
        const res = await scim(app, team, 'GET', path)
        t.equal(res.statusCode, 200, path)
        t.equal(res.json().totalResults, 1, path)
      }
      const created = await scim(app, team, 'POST', '//Users', user('bob@example.com'))
      t.equal(created.statusCode, 201)
    })

    t.test('SCIM auth: a token opens only its own endpoint', async (t) => {
      const other = await scimTeam(app, 't2')
      const cases = [
        { token: other.token, base: team.base },
        { token: 'cpscim_nope', base: team.base },
        { token: team.token, base: '/scim/v2/00000000000000000000000000000000' },
      ]
      for (const c of cases) {
        const res = await scim(app, c, 'GET', '/Users')
        t.equal(res.statusCode, 401)
        t.same(res.json().schemas, [URN.error])
        t.equal(res.json().status, '401')
        t.match(res.headers['content-type'], /application\/scim\+json/)
      }
      const none = await app.inject({ method: 'GET', url: `${team.base}/Users` })
      t.equal(none.statusCode, 401)
      const lower = await app.inject({ method: 'GET', url: `${team.base}/Users`, headers: { authorization: `bearer ${team.token}` } })
      t.equal(lower.statusCode, 200)
    })

    t.test('eq lookups read with the token show users only to a verified caller of their own team', async (t) => {
      // GET /Users with an eq filter is answered in the bearer check's own round trip (scim-routes.ts):
      // every refusal must still be a 401 that shows nothing, whatever the filter.
      const ada = (await scim(app, team, 'POST', '/Users', { ...user('ada@example.com'), externalId: 'ext-ada' })).json()
      const other = await scimTeam(app, 't2')
      await scim(app, other, 'POST', '/Users', { ...user('ada@example.com'), externalId: 'ext-ada' })
      const lookups = [
        'userName eq "ada@example.com"',
        'externalId eq "ext-ada"',
        'emails[value eq "ada@example.com"]',
        'emails.value eq "ADA@example.com"',
      ]
      const get = (caller: Pick<ScimTeam, 'token' | 'base'>, filter: string) =>
        scim(app, caller, 'GET', `/Users?filter=${encodeURIComponent(filter)}`)
      for (const filter of lookups) {
        const found = await get(team, filter)
        t.equal(found.statusCode, 200, filter)
        t.same(
          found.json().Resources.map((r: { id: string }) => r.id),
          [ada.id],
          `${filter}: the team's own user`,
        )
        for (const [why, caller] of [
          ['another team’s token', { token: other.token, base: team.base }],
          ['an unknown token', { token: 'cpscim_nope', base: team.base }],
          ['an unknown endpoint', { token: team.token, base: '/scim/v2/00000000000000000000000000000000' }],
        ] as const) {
          const res = await get(caller, filter)
          t.equal(res.statusCode, 401, `${filter}: ${why}`)
          t.notOk(res.body.includes(ada.id) || res.body.includes('ext-ada'), `${filter}: ${why} sees nothing`)
        }
      }
      const unparsable = 'userName eq'
      t.equal(
        (await get({ token: 'cpscim_nope', base: team.base }, unparsable)).statusCode,
        401,
        'a stranger with a broken filter: 401 first',
      )
      t.equal((await get(team, unparsable)).json().scimType, 'invalidFilter', 'the caller with a broken filter: 400 invalidFilter')
      // PostgreSQL cannot bind U+0000 (a filter's JSON string escape): a statement carrying it would
      // fail, token check and all. Sent raw, the parser refuses it first.
      for (const filter of [
        String.raw`userName eq "a\u0000b"`,
        String.raw`externalId eq "\u0000"`,
        String.raw`emails[value eq "a\u0000@b.c"]`,
        'userName eq "a\u0000b"',
      ]) {
        t.equal(
          (await get({ token: 'cpscim_nope', base: team.base }, filter)).statusCode,
          401,
          `a stranger: 401 for ${JSON.stringify(filter)}`,
        )
        t.equal(
          (await get({ token: other.token, base: team.base }, filter)).statusCode,
          401,
          `another team's token: 401 for ${JSON.stringify(filter)}`,
        )
        const own = await get(team, filter)
        t.same([own.statusCode, own.json().scimType], [400, 'invalidFilter'], `the caller: 400 invalidFilter for ${JSON.stringify(filter)}`)
      }

      const rotated = (await admin(app, 'POST', '/teams/t1/scim/rotate', { actor: team.ownerAccountId })).json().token as string
      t.equal((await get(team, lookups[0]!)).statusCode, 401, 'the rotated-out token')
      t.equal((await get({ ...team, token: rotated }, lookups[0]!)).statusCode, 200, 'the new token')
      await admin(app, 'DELETE', '/teams/t1/sso', { actor: team.ownerAccountId })
      t.equal((await get({ ...team, token: rotated }, lookups[0]!)).statusCode, 401, 'SSO turned off')
      await admin(app, 'PUT', '/teams/t1/sso', { body: { protocol: 'saml' } })
      await admin(app, 'DELETE', '/teams/t1/scim', { actor: team.ownerAccountId })
      t.equal((await get({ ...team, token: rotated }, lookups[0]!)).statusCode, 401, 'SCIM disabled')
    })

    t.test('every write and rejection is in the audit log', async (t) => {
      const created = (await scim(app, team, 'POST', '/Users', user('ada@example.com'))).json()
      await scim(app, team, 'POST', '/Users', user('ada@example.com'))
      await scim(app, team, 'PATCH', `/Users/${created.id}`, {
        schemas: [URN.patchOp],
        Operations: [{ op: 'replace', value: { active: false } }],
      })
      await scim(app, team, 'PATCH', `/Users/${created.id}`, {
        schemas: [URN.patchOp],
        Operations: [{ op: 'replace', value: { active: true } }],
      })
      await scim(app, team, 'DELETE', `/Users/${created.id}`)
      const events = (await admin(app, 'GET', '/teams/t1/scim/events?limit=5', { actor: team.ownerAccountId })).json().events
      t.same(
        events.map((e: { action: string; outcome: string }) => `${e.action} ${e.outcome}`),
        ['user.delete deleted', 'user.patch reactivated', 'user.patch deactivated', 'user.create rejected:409', 'user.create created'],
      )
      t.equal(events[0].resourceId, created.id)
      t.equal(events[0].endpointId, team.endpointId)
      t.type(events[0].accountId, 'string')
    })

    t.test('twenty concurrent POSTs of one new user: one 201, the rest 409', async (t) => {
      const results = await Promise.all(Array.from({ length: 20 }, () => scim(app, team, 'POST', '/Users', user('race@example.com'))))
      const statuses = results.map((r) => r.statusCode)
      t.equal(statuses.filter((s) => s === 201).length, 1, `statuses: ${statuses.join(',')}`)
      t.equal(statuses.filter((s) => s === 409).length, 19)
      t.equal(await count('accounts', "lower(email) = 'race@example.com'"), 1)
      t.equal(await count('team_memberships'), 2)
      t.equal(await count('scim_users'), 1)
    })

    t.test('concurrent deactivate and reactivate end in the state of the last response', async (t) => {
      const created = (await scim(app, team, 'POST', '/Users', user('ada@example.com'))).json()
      const patch = (active: boolean) =>
        scim(app, team, 'PATCH', `/Users/${created.id}`, { schemas: [URN.patchOp], Operations: [{ op: 'replace', value: { active } }] })
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => patch(i % 2 === 0)))
      t.ok(
        results.every((r) => r.statusCode === 200),
        results.map((r) => r.statusCode).join(','),
      )
      const last = results.map((r) => r.json()).sort((a, b) => Number(b.meta.version.slice(3, -1)) - Number(a.meta.version.slice(3, -1)))[0]
      const final = (await scim(app, team, 'GET', `/Users/${created.id}`)).json()
      t.equal(final.meta.version, last.meta.version)
      t.equal(final.active, last.active)
      const isMember = (await members()).some((m) => m.email === 'ada@example.com')
      t.equal(isMember, final.active, 'membership matches active')
    })
  })
}
