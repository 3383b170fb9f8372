import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { admin, scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

/**
 * The statements a write sends to the database, counted through drizzle's logger on both databases
 * (a create's cost is mostly its round trips). BEGIN and COMMIT are left out of the count:
 * PGlite runs them itself, below drizzle; on PostgreSQL each write is one transaction around these.
 * A count that grows is a new round trip on every provisioning request: say why in the change.
 */
let log: string[] | undefined
const dbs = await testDatabases(t, { onQuery: (text) => log?.push(text) })

/** "select scim_connections", "with accounts", "with audit_events": the verb and the first table named. */
const label = (text: string) => {
  const words = text.trim().replace(/\s+/g, ' ')
  const verb = words.split(' ')[0]!.toLowerCase()
  const table = /(?:from|into|update) "(\w+)"/i.exec(words)?.[1] ?? '?'
  return `${verb} ${table}`
}

async function statements<T>(work: () => Promise<T>): Promise<{ value: T; sql: string[] }> {
  log = []
  try {
    const value = await work()
    return { value, sql: log.filter((text) => !/^\s*(begin|commit|rollback)\b/i.test(text)).map(label) }
  } finally {
    log = undefined
  }
}

const patch = (...Operations: unknown[]) => ({ schemas: [URN.patchOp], Operations })
const person = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [URN.user],
  userName,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: userName, type: 'work', primary: true }],
  ...extra,
})

for (const db of dbs) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    const team = await scimTeam(app, 't1')
    // The bearer check writes lastUsedAt once a minute: done here, so no count below includes it.
    await scim(app, team, 'GET', '/Users?count=1')
    const rows = async (query: string) => db.rows(query)

    t.test(
      'a create of a new person: the token, one statement for account, membership and user, one for the audit entry and change events',
      async (t) => {
        const { value: res, sql } = await statements(() =>
          scim(app, team, 'POST', '/Users', person('ada@example.com', { externalId: 'x1' })),
        )
        t.equal(res.statusCode, 201)
        t.same(sql, ['select scim_connections', 'with accounts', 'with audit_events'], 'three statements')
        const id = res.json().id as string
        const [account] = await rows(`select id, email, display_name from accounts where email = 'ada@example.com'`)
        t.match(account, { email: 'ada@example.com', display_name: 'Ada Lovelace' })
        t.same(await rows(`select team_id, role from team_memberships where account_id = '${String(account!.id)}'`), [
          { team_id: 't1', role: 'member' },
        ])
        t.match(await rows(`select user_name, external_id, active, account_id, version from scim_users where id = '${id}'`), [
          { user_name: 'ada@example.com', external_id: 'x1', active: true, account_id: account!.id, version: 1 },
        ])
        t.match(await rows(`select total, active, inactive from scim_user_counts where team_id = 't1'`), [
          { total: 1, active: 1, inactive: 0 },
        ])
        const [event] = (await admin(app, 'GET', '/teams/t1/scim/events?limit=1', { actor: team.ownerAccountId })).json().events
        t.match(event, { action: 'user.create', outcome: 'created', resourceId: id, accountId: account!.id, detail: 'ada@example.com' })
      },
    )

    t.test('a create the one statement does not cover writes nothing there and takes the general path', async (t) => {
      // An account with this email exists (on no team): reused, not duplicated.
      await rows(`insert into accounts (email) values ('Grace@Example.com')`)
      const reuse = await statements(() => scim(app, team, 'POST', '/Users', person('grace@example.com')))
      t.equal(reuse.value.statusCode, 201)
      t.equal(reuse.sql[1], 'with accounts')
      t.ok(reuse.sql.length > 3, `the general path follows: ${reuse.sql.join(', ')}`)
      t.same(await rows(`select count(*)::int as n from accounts where lower(email) = 'grace@example.com'`), [{ n: 1 }])
      // The userName of an inactive user: reactivated in place, no new account or user.
      const ada = (await scim(app, team, 'GET', '/Users?filter=userName eq "ada@example.com"')).json().Resources[0]
      await scim(app, team, 'PATCH', `/Users/${ada.id}`, patch({ op: 'replace', path: 'active', value: false }))
      const again = await scim(app, team, 'POST', '/Users', person('ADA@example.com'))
      t.equal(again.statusCode, 201)
      t.equal(again.json().id, ada.id)
      t.same(await rows(`select count(*)::int as n from accounts where lower(email) = 'ada@example.com'`), [{ n: 1 }])
      // An active user with this userName: 409, and nothing written.
      const before = await rows('select count(*)::int as n from accounts')
      t.equal(
        (await scim(app, team, 'POST', '/Users', person('ada@example.com', { emails: [{ value: 'new@example.com' }] }))).statusCode,
        409,
      )
      t.same(await rows('select count(*)::int as n from accounts'), before)
      // Created inactive (OneLogin): the general path, no membership.
      const inactive = await scim(app, team, 'POST', '/Users', person('ina@example.com', { active: false }))
      t.equal(inactive.statusCode, 201)
      t.same(
        await rows(
          `select count(*)::int as n from team_memberships m join accounts a on a.id = m.account_id where a.email = 'ina@example.com'`,
        ),
        [{ n: 0 }],
      )
    })

    t.test('a PATCH adding one member to a group: the token, one statement, the audit entry and change events', async (t) => {
      const users = await Promise.all(
        ['m1', 'm2'].map(async (n) => (await scim(app, team, 'POST', '/Users', person(`${n}@example.com`))).json().id as string),
      )
      const group = (await scim(app, team, 'POST', '/Groups', { schemas: [URN.group], displayName: 'G' })).json().id as string
      const add = (value: string) => scim(app, team, 'PATCH', `/Groups/${group}`, patch({ op: 'add', path: 'members', value: [{ value }] }))
      const first = await statements(() => add(users[0]!))
      t.equal(first.value.statusCode, 204)
      t.same(first.sql, ['select scim_connections', 'with scim_groups', 'with audit_events'], 'three statements')
      // The same member again: nothing added, the version still moves (the PATCH was applied).
      t.equal((await add(users[0]!)).statusCode, 204)
      const read = await scim(app, team, 'GET', `/Groups/${group}`)
      t.same(
        read.json().members.map((m: { value: string }) => m.value),
        [users[0]],
      )
      t.equal(read.json().meta.version, 'W/"3"')
      const events = (await admin(app, 'GET', '/teams/t1/scim/events?limit=2', { actor: team.ownerAccountId })).json().events
      t.same(
        events.map((e: { detail: string }) => e.detail),
        ['G: +0 -0', 'G: +1 -0'],
      )
      // A member that is not a User of the team: 400, nothing added, the version as it was.
      const stranger = '00000000-0000-4000-8000-000000000001'
      const refused = await scim(
        app,
        team,
        'PATCH',
        `/Groups/${group}`,
        patch({ op: 'add', path: 'members', value: [{ value: users[1] }, { value: stranger }] }),
      )
      t.equal(refused.statusCode, 400)
      t.equal(refused.json().scimType, 'invalidValue')
      t.match(refused.json().detail, stranger)
      const after = (await scim(app, team, 'GET', `/Groups/${group}`)).json()
      t.equal(after.meta.version, 'W/"3"')
      t.equal(after.members.length, 1)
      // Another team's group, or none: 404 as before.
      const other = await scimTeam(app, 't2')
      t.equal((await scim(app, other, 'PATCH', `/Groups/${group}`, patch({ op: 'add', path: 'members', value: [] }))).statusCode, 404)
      t.equal((await add('00000000-0000-4000-8000-000000000002')).statusCode, 400)
      t.equal(
        (
          await scim(
            app,
            team,
            'PATCH',
            '/Groups/00000000-0000-4000-8000-000000000003',
            patch({ op: 'add', path: 'members', value: [{ value: users[1] }] }),
          )
        ).statusCode,
        404,
      )
      t.equal((await scim(app, team, 'GET', `/Groups/${group}`)).json().meta.version, 'W/"3"')
    })
  })
}
