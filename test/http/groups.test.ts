import { t } from '../helpers/file-test.js'
import { sql } from 'drizzle-orm'
import { URN } from '../../src/scim/core/schemas.js'
import { StoreTimeout } from '../../src/store/store-errors.js'
import { admin, BASE_URL, scim, scimTeam, testApp, type ScimTeam } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

const patch = (...Operations: unknown[]) => ({ schemas: [URN.patchOp], Operations })

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    let team: ScimTeam
    let ids: string[]
    t.beforeEach(async () => {
      await db.reset()
      team = await scimTeam(app, 't1')
      ids = []
      for (const name of ['ann', 'bob', 'cid', 'dee']) {
        ids.push((await scim(app, team, 'POST', '/Users', { userName: `${name}@example.com` })).json().id)
      }
    })
    const memberIds = async (groupId: string) =>
      (((await scim(app, team, 'GET', `/Groups/${groupId}`)).json().members ?? []) as { value: string }[]).map((m) => m.value).sort()
    const newGroup = async (displayName = 'Engineering', members: unknown[] = []) => {
      const res = await scim(app, team, 'POST', '/Groups', { schemas: [URN.group], displayName, members })
      t.equal(res.statusCode, 201, res.body)
      return res.json().id as string
    }

    t.test('POST creates a group with members; displayName is unique per team, case-insensitively', async (t) => {
      const res = await scim(app, team, 'POST', '/Groups', {
        schemas: [URN.group],
        displayName: 'Engineering',
        externalId: 'okta-g1',
        members: [{ value: ids[0], display: 'Ann' }, { value: ids[1] }],
      })
      t.equal(res.statusCode, 201)
      const body = res.json()
      t.equal(res.headers.location, `${BASE_URL}/scim/v2/${team.endpointId}/Groups/${body.id}`)
      t.same(body.schemas, [URN.group])
      t.equal(body.externalId, 'okta-g1')
      t.equal(body.meta.resourceType, 'Group')
      // RFC 7643 gives members no order: compare as sets. display is kept as sent (member
      // sub-attributes are immutable, §4.2), else the User's userName.
      t.same(
        body.members.map((m: Record<string, string>) => [m.value, m.display, m.type, m.$ref]).sort(),
        [ids[0]!, ids[1]!]
          .map((id, i) => [id, ['Ann', 'bob@example.com'][i], 'User', `${BASE_URL}/scim/v2/${team.endpointId}/Users/${id}`])
          .sort(),
      )
      const dup = await scim(app, team, 'POST', '/Groups', { schemas: [URN.group], displayName: 'ENGINEERING' })
      t.equal(dup.statusCode, 409)
      t.equal(dup.json().scimType, 'uniqueness')
      const other = await scimTeam(app, 't2')
      t.equal((await scim(app, other, 'POST', '/Groups', { displayName: 'Engineering' })).statusCode, 201, 'another team may use the name')
    })

    t.test('a member must be a User of the same team; nothing changes otherwise', async (t) => {
      const other = await scimTeam(app, 't2')
      const stranger = (await scim(app, other, 'POST', '/Users', { userName: 'zed@example.com' })).json().id
      for (const members of [
        [{ value: stranger }],
        [{ value: '00000000-0000-4000-8000-000000000000' }],
        [{ value: 'not-an-id' }],
        [{ display: 'no value' }],
      ]) {
        const res = await scim(app, team, 'POST', '/Groups', { displayName: 'G', members })
        t.equal(res.statusCode, 400, JSON.stringify(members))
        t.equal(res.json().scimType, 'invalidValue')
      }
      t.equal((await scim(app, team, 'GET', '/Groups')).json().totalResults, 0)
      const id = await newGroup('G', [{ value: ids[0] }])
      const res = await scim(
        app,
        team,
        'PATCH',
        `/Groups/${id}`,
        patch({ op: 'add', path: 'members', value: [{ value: ids[1] }, { value: stranger }] }),
      )
      t.equal(res.statusCode, 400)
      t.same(await memberIds(id), [ids[0]], 'the valid half was not applied either')
    })

    t.test('member shapes of every IdP; add is idempotent', async (t) => {
      const id = await newGroup()
      const adds = [
        { op: 'add', path: 'members', value: [{ value: ids[0] }] }, // Okta omits type
        { op: 'Add', path: 'members', value: [{ $ref: null, value: ids[1] }] }, // Microsoft Entra ID
        { op: 'add', path: 'members', value: ids[2] }, // Microsoft's test collection: a bare string
        { op: 'add', path: 'members', value: [{ value: ids[0], type: 'User', display: 'Renamed' }] }, // JumpCloud repeats adds
        { op: 'add', path: 'members', value: [{ value: ids[3], displayName: 'new User' }] }, // Microsoft's collection: displayName
      ]
      for (const op of adds) {
        const res = await scim(app, team, 'PATCH', `/Groups/${id}`, patch(op))
        t.equal(res.statusCode, 204, JSON.stringify(op))
        t.equal(res.body, '')
      }
      t.same(await memberIds(id), [...ids].sort())
      const members = (await scim(app, team, 'GET', `/Groups/${id}`)).json().members as { value: string; display: string }[]
      t.equal(members.find((m) => m.value === ids[3])!.display, 'new User')
      t.equal(members.find((m) => m.value === ids[0])!.display, 'ann@example.com', 'a repeated add does not change a member')
    })

    t.test('URN-qualified members paths and keys are membership changes too', async (t) => {
      const id = await newGroup()
      for (const op of [
        { op: 'add', path: 'urn:scim:schemas:core:1.0:members', value: [{ value: 'not-a-user' }] },
        {
          op: 'add',
          value: { 'urn:ietf:params:scim:schemas:core:2.0:Group:members': [{ value: '00000000-0000-4000-8000-000000000000' }] },
        },
      ]) {
        t.equal((await scim(app, team, 'PATCH', `/Groups/${id}`, patch(op))).statusCode, 400, JSON.stringify(op))
      }
      await scim(
        app,
        team,
        'PATCH',
        `/Groups/${id}`,
        patch({ op: 'add', path: 'urn:ietf:params:scim:schemas:core:2.0:Group:members', value: [{ value: ids[0] }] }),
      )
      await scim(
        app,
        team,
        'PATCH',
        `/Groups/${id}`,
        patch({ op: 'add', value: { 'urn:scim:schemas:core:1.0:members': [{ value: ids[1] }] } }),
      )
      t.same(await memberIds(id), [ids[0], ids[1]].sort())
      const stored = await db.rows<{ doc: Record<string, unknown> }>(`select doc from scim_groups where id = '${id}'`)
      t.notOk(JSON.stringify(stored[0]!.doc).includes('members'), 'members never land in the document')
    })

    t.test('remove: by filter only that member; Entra value list only those; no value removes all', async (t) => {
      const id = await newGroup(
        'G',
        ids.map((value) => ({ value })),
      )
      await scim(app, team, 'PATCH', `/Groups/${id}`, patch({ op: 'remove', path: `members[value eq "${ids[0]}"]` }))
      t.same(await memberIds(id), [ids[1], ids[2], ids[3]].sort())
      await scim(app, team, 'PATCH', `/Groups/${id}`, patch({ op: 'Remove', path: 'members', value: [{ value: ids[1] }] }))
      t.same(await memberIds(id), [ids[2], ids[3]].sort(), "Entra's remove with a value list removes only the listed")
      await scim(app, team, 'PATCH', `/Groups/${id}`, patch({ op: 'remove', path: `members[value eq "${ids[0]}"]` }))
      t.same(await memberIds(id), [ids[2], ids[3]].sort(), 'removing a non-member is a no-op')
      await scim(app, team, 'PATCH', `/Groups/${id}`, patch({ op: 'remove', path: 'members' }))
      t.same(await memberIds(id), [])
      const bad = await scim(app, team, 'PATCH', `/Groups/${id}`, patch({ op: 'remove', path: 'members[display eq "x"]' }))
      t.equal(bad.statusCode, 400)
    })

    t.test('replace sets the list; a no-path replace with {id, displayName} renames (Okta)', async (t) => {
      const id = await newGroup('G', [{ value: ids[0] }, { value: ids[1] }])
      await scim(
        app,
        team,
        'PATCH',
        `/Groups/${id}`,
        patch({ op: 'replace', path: 'members', value: [{ value: ids[1] }, { value: ids[2] }] }),
      )
      t.same(await memberIds(id), [ids[1], ids[2]].sort())
      const renamed = await scim(app, team, 'PATCH', `/Groups/${id}`, patch({ op: 'replace', value: { id, displayName: 'Renamed' } }))
      t.equal(renamed.statusCode, 204)
      const group = (await scim(app, team, 'GET', `/Groups/${id}`)).json()
      t.equal(group.displayName, 'Renamed')
      t.same(group.members.map((m: { value: string }) => m.value).sort(), [ids[1], ids[2]].sort(), 'members untouched')
      t.equal(group.meta.version, 'W/"3"')
      const withBody = await scim(
        app,
        team,
        'PATCH',
        `/Groups/${id}?attributes=displayName`,
        patch({ op: 'replace', path: 'displayName', value: 'Again' }),
      )
      t.equal(withBody.statusCode, 200, 'the resource comes back when attributes are asked for')
      t.same(Object.keys(withBody.json()).sort(), ['displayName', 'id', 'meta', 'schemas'])
    })

    t.test('PUT with a full member list applies the difference', async (t) => {
      const id = await newGroup('G', [{ value: ids[0] }, { value: ids[1] }])
      const res = await scim(app, team, 'PUT', `/Groups/${id}`, {
        schemas: [URN.group],
        displayName: 'G2',
        members: [{ value: ids[1] }, { value: ids[3] }],
      })
      t.equal(res.statusCode, 200)
      t.equal(res.json().displayName, 'G2')
      t.same(await memberIds(id), [ids[1], ids[3]].sort())
      const noMembers = await scim(app, team, 'PUT', `/Groups/${id}`, { displayName: 'G2' })
      t.equal(noMembers.statusCode, 200)
      t.same(await memberIds(id), [], 'PUT replaces: no members listed, none kept')
    })

    t.test("a User's groups are returned when asked for (attributes=groups)", async (t) => {
      const a = await newGroup('Alpha', [{ value: ids[0] }])
      const b = await newGroup('Beta', [{ value: ids[0] }, { value: ids[1] }])
      const plain = (await scim(app, team, 'GET', `/Users/${ids[0]}`)).json()
      t.notOk('groups' in plain, 'returned on request only, as /Schemas says')
      const asked = (await scim(app, team, 'GET', `/Users/${ids[0]}?attributes=userName,groups`)).json()
      t.same(
        asked.groups.map((g: Record<string, string>) => [g.value, g.display, g.type, g.$ref]),
        [
          [a, 'Alpha', 'direct', `${BASE_URL}/scim/v2/${team.endpointId}/Groups/${a}`],
          [b, 'Beta', 'direct', `${BASE_URL}/scim/v2/${team.endpointId}/Groups/${b}`],
        ],
      )
      const listed = (await scim(app, team, 'GET', `/Users?attributes=groups&filter=${encodeURIComponent('userName sw "bob"')}`)).json()
      t.same(
        listed.Resources[0].groups.map((g: { display: string }) => g.display),
        ['Beta'],
      )
      const inBeta = (await scim(app, team, 'GET', `/Users?filter=${encodeURIComponent(`groups[value eq "${b}"]`)}`)).json()
      t.same(inBeta.Resources.map((u: { id: string }) => u.id).sort(), [ids[0], ids[1]].sort(), 'users filter by their groups')
      t.equal((await scim(app, team, 'GET', `/Users?filter=${encodeURIComponent(`groups.value eq "${a}"`)}`)).json().totalResults, 1)
      t.equal(
        (await scim(app, team, 'GET', `/Users?filter=${encodeURIComponent('groups.display eq "Alpha"')}`)).statusCode,
        400,
        'not silently empty',
      )
      const schema = (await scim(app, team, 'GET', `/Schemas/${URN.user}`)).json()
      t.equal(schema.attributes.find((x: { name: string }) => x.name === 'groups').returned, 'request')
    })

    t.test('deleting a user removes it from its groups; deactivating does not', async (t) => {
      const id = await newGroup('G', [{ value: ids[0] }, { value: ids[1] }])
      await scim(app, team, 'PATCH', `/Users/${ids[0]}`, patch({ op: 'replace', value: { active: false } }))
      t.same(await memberIds(id), [ids[0], ids[1]].sort(), 'deactivated: still a member')
      await scim(app, team, 'DELETE', `/Users/${ids[1]}`)
      t.same(await memberIds(id), [ids[0]], 'deleted: gone from the group')
    })

    t.test('lists filter by displayName, externalId and members; excludedAttributes=members', async (t) => {
      const a = await newGroup('Alpha', [{ value: ids[0] }])
      await scim(app, team, 'POST', '/Groups', { displayName: 'Beta', externalId: 'ext-b', members: [{ value: ids[1] }] })
      const q = (query: string) => scim(app, team, 'GET', `/Groups?${query}`)
      const f = (filter: string) => q(`filter=${encodeURIComponent(filter)}`)
      t.same(
        (await f('displayName eq "alpha"')).json().Resources.map((g: { id: string }) => g.id),
        [a],
      )
      t.equal((await f('externalId eq "ext-b"')).json().totalResults, 1)
      t.equal((await f('externalId eq "EXT-B"')).json().totalResults, 0)
      t.same(
        (await f(`members[value eq "${ids[0]}"]`)).json().Resources.map((g: { id: string }) => g.id),
        [a],
      )
      t.equal((await f(`members.value eq "${ids[1]}"`)).json().totalResults, 1)
      t.equal((await f('members pr')).json().totalResults, 2)
      t.equal((await f('members[display eq "x"]')).statusCode, 400)
      const lean = (await q('excludedAttributes=members')).json()
      t.equal(lean.totalResults, 2)
      t.ok(lean.Resources.every((g: Record<string, unknown>) => !('members' in g)))
      const names = (await q('attributes=displayName')).json().Resources
      t.same(Object.keys(names[0]).sort(), ['displayName', 'id', 'meta', 'schemas'])
      t.equal((await scim(app, team, 'GET', `/Groups/${a}?excludedAttributes=members`)).json().members, undefined)
    })

    t.test('another team cannot see or change a group', async (t) => {
      const id = await newGroup('G', [{ value: ids[0] }])
      const other = await scimTeam(app, 't2')
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        const body = method === 'PUT' ? { displayName: 'X' } : method === 'PATCH' ? patch({ op: 'remove', path: 'members' }) : undefined
        t.equal((await scim(app, other, method, `/Groups/${id}`, body)).statusCode, 404, method)
      }
      t.same(await memberIds(id), [ids[0]])
    })

    t.test('DELETE removes the group; group changes are in the audit log', async (t) => {
      const id = await newGroup('G', [{ value: ids[0] }])
      await scim(app, team, 'PATCH', `/Groups/${id}`, patch({ op: 'add', path: 'members', value: [{ value: ids[1] }] }))
      t.equal((await scim(app, team, 'DELETE', `/Groups/${id}`)).statusCode, 204)
      t.equal((await scim(app, team, 'GET', `/Groups/${id}`)).statusCode, 404)
      const events = (await admin(app, 'GET', '/teams/t1/scim/events?limit=3', { actor: team.ownerAccountId })).json().events
      t.same(
        events.map((e: { action: string; detail: string }) => `${e.action} ${e.detail}`),
        ['group.delete G', 'group.patch G: +1 -0', 'group.create G: +1'],
      )
    })

    t.test('concurrent membership PATCHes on one group lose no update', async (t) => {
      const id = await newGroup()
      const results = await Promise.all(
        ids.map((value) => scim(app, team, 'PATCH', `/Groups/${id}`, patch({ op: 'add', path: 'members', value: [{ value }] }))),
      )
      t.same(
        results.map((r) => r.statusCode),
        [204, 204, 204, 204],
      )
      t.same(await memberIds(id), [...ids].sort())
      t.equal((await scim(app, team, 'GET', `/Groups/${id}`)).json().meta.version, 'W/"5"')
    })

    t.test('large groups: 10,000 members in one PATCH; too many to return is 400 tooMany', async (t) => {
      const accounts = await db.rows<{ id: string }>(sql`
        insert into accounts (email) select 'bulk' || n || '@example.com' from generate_series(1, 10001) as n returning id`)
      const users = await db.rows<{ id: string }>(sql`
        insert into scim_users (team_id, id, user_name, active, account_id, doc)
        select 't1', gen_random_uuid(), 'bulk' || n, true, a.id, jsonb_build_object('userName', 'bulk' || n)
        from (select id, row_number() over () as n from accounts where email like 'bulk%') as a returning id`)
      t.equal(accounts.length, 10001)
      const id = await newGroup('Everyone')
      const first = users.slice(0, 10000).map((u) => ({ value: u.id }))
      const res = await scim(app, team, 'PATCH', `/Groups/${id}`, patch({ op: 'add', path: 'members', value: first }))
      t.equal(res.statusCode, 204)
      t.equal((await scim(app, team, 'GET', `/Groups/${id}`)).json().members.length, 10000)
      await scim(app, team, 'PATCH', `/Groups/${id}`, patch({ op: 'add', path: 'members', value: [{ value: users[10000]!.id }] }))
      const big = await scim(app, team, 'GET', `/Groups/${id}`)
      t.equal(big.statusCode, 400)
      t.equal(big.json().scimType, 'tooMany')
      t.match(big.json().detail, /excludedAttributes=members/)
      t.equal((await scim(app, team, 'GET', `/Groups/${id}?excludedAttributes=members`)).statusCode, 200)
      t.equal(
        (
          await scim(
            app,
            team,
            'GET',
            `/Groups?filter=${encodeURIComponent(`members[value eq "${users[5]!.id}"]`)}&excludedAttributes=members`,
          )
        ).json().totalResults,
        1,
      )
      const tooMany = await scim(
        app,
        team,
        'PATCH',
        `/Groups/${id}`,
        patch({ op: 'add', path: 'members', value: [...first, { value: ids[0] }] }),
      )
      t.equal(tooMany.statusCode, 400, 'more than 10,000 members in one request is refused')
      const removeAll = await scim(app, team, 'PATCH', `/Groups/${id}`, patch({ op: 'remove', path: 'members', value: first }))
      t.equal(removeAll.statusCode, 204)
      t.equal((await scim(app, team, 'GET', `/Groups/${id}`)).json().members.length, 1)
    })

    t.test('a statement timeout reading members or groups is 400 tooMany with advice, never a 503', async (t) => {
      const id = await newGroup(
        'Everyone',
        ids.map((value) => ({ value })),
      )
      // The store as the pg adapter behaves when PostgreSQL cancels a statement (errors.ts maps 57014).
      const timingOut = new Proxy(db.store, {
        get(target, name, receiver) {
          if (name !== 'groups') return Reflect.get(target, name, receiver)
          return new Proxy(target.groups, {
            get: (groups, method, self) =>
              method === 'listGroupMembers' || method === 'groupsOfUsers'
                ? async () => Promise.reject(new StoreTimeout())
                : (Reflect.get(groups, method, self) as unknown),
          })
        },
      })
      const slow = await testApp({ database: db.database, store: timingOut })
      t.teardown(() => slow.close())
      const reads: [string, RegExp][] = [
        [`/Groups/${id}`, /excludedAttributes=members/],
        ['/Groups', /excludedAttributes=members/],
        [`/Users/${ids[0]}?attributes=groups`, /leave out "groups"/],
        ['/Users?attributes=groups', /fewer users/],
      ]
      for (const [path, advice] of reads) {
        const res = await scim(slow, team, 'GET', path)
        t.equal(res.statusCode, 400, path)
        t.equal(res.json().scimType, 'tooMany', path)
        t.match(res.json().detail, advice, `${path}: the detail says what to ask for instead`)
        t.notOk(res.headers['retry-after'], `${path}: not a "retry the same" answer`)
      }
    })
  })
}
