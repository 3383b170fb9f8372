/**
 * RFC 7644 §3.5.2.2: a PATCH that removes `active` leaves it unassigned. Compound's safety rule holds
 * beside it: only an explicit `active: false` (or DELETE) deprovisions anyone, so an unassigned user
 * stays on the team, and a deprovisioned one stays deprovisioned until an explicit `true`.
 */
import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { admin, scim, scimTeam, testApp, type ScimTeam } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

const user = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [URN.user],
  userName,
  emails: [{ value: userName, type: 'work', primary: true }],
  active: true,
  ...extra,
})
const patch = (...Operations: unknown[]) => ({ schemas: [URN.patchOp], Operations })

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    let team: ScimTeam
    t.beforeEach(async () => {
      await db.reset()
      team = await scimTeam(app, 't1')
    })
    const memberEmails = async () =>
      ((await admin(app, 'GET', '/teams/t1/members')).json().members as { email: string }[]).map((m) => m.email).sort()
    const listed = async (filter: string) => {
      const body = (await scim(app, team, 'GET', `/Users?filter=${encodeURIComponent(filter)}`)).json()
      return { total: body.totalResults as number, userNames: (body.Resources as { userName: string }[]).map((u) => u.userName).sort() }
    }

    for (const [how, operation] of [
      ['remove', { op: 'remove', path: 'active' }],
      ['replace with null', { op: 'replace', path: 'active', value: null }],
      ['Entra-style Remove', { op: 'Remove', path: 'active' }],
    ] as const) {
      t.test(`PATCH ${how}: active is unassigned and the person stays on the team`, async (t) => {
        const ada = (await scim(app, team, 'POST', '/Users', user('ada@x.example'))).json()
        await scim(app, team, 'POST', '/Users', user('bob@x.example'))
        await scim(app, team, 'POST', '/Users', user('cy@x.example', { active: false }))

        const res = await scim(app, team, 'PATCH', `/Users/${ada.id}`, patch(operation))
        t.equal(res.statusCode, 200)
        t.notOk('active' in res.json(), 'absent from the response')
        t.notOk('active' in (await scim(app, team, 'GET', `/Users/${ada.id}`)).json(), 'and from the stored resource')
        t.same(await memberEmails(), ['ada@x.example', 'bob@x.example', 'owner@t1.example'], 'nobody was deprovisioned')

        t.same(await listed('active pr'), { total: 2, userNames: ['bob@x.example', 'cy@x.example'] }, 'active pr is false for her')
        t.same(
          await listed('active eq true'),
          { total: 1, userNames: ['bob@x.example'] },
          'active eq true does not match (exact total from the counters)',
        )
        t.same(await listed('active eq false'), { total: 1, userNames: ['cy@x.example'] }, 'nor does active eq false')
        t.same(await listed('not (active pr)'), { total: 1, userNames: ['ada@x.example'] })

        const events = (await admin(app, 'GET', '/teams/t1/scim/events?limit=1', { actor: team.ownerAccountId })).json().events
        t.same(
          events.map((e: { action: string; outcome: string }) => `${e.action} ${e.outcome}`),
          ['user.patch updated'],
        )
      })
    }

    t.test('an unassigned user: PUT without active keeps it unassigned; explicit values still act', async (t) => {
      const ada = (await scim(app, team, 'POST', '/Users', user('ada@x.example'))).json()
      await scim(app, team, 'PATCH', `/Users/${ada.id}`, patch({ op: 'remove', path: 'active' }))

      const put = await scim(app, team, 'PUT', `/Users/${ada.id}`, { ...user('ada@x.example', { displayName: 'Ada' }), active: undefined })
      t.equal(put.statusCode, 200)
      t.notOk('active' in put.json(), 'a PUT without active keeps the state, unassigned included')
      const other = await scim(app, team, 'PATCH', `/Users/${ada.id}`, patch({ op: 'replace', path: 'displayName', value: 'Ada L' }))
      t.notOk('active' in other.json(), 'a PATCH of something else leaves it unassigned')

      const repost = await scim(app, team, 'POST', '/Users', user('ada@x.example'))
      t.equal(repost.statusCode, 409, 'an unassigned user is not inactive: a re-POST is a duplicate, not a reactivation')

      const on = await scim(app, team, 'PATCH', `/Users/${ada.id}`, patch({ op: 'add', path: 'active', value: true }))
      t.equal(on.json().active, true)
      await scim(app, team, 'PATCH', `/Users/${ada.id}`, patch({ op: 'remove', path: 'active' }))
      const off = await scim(app, team, 'PATCH', `/Users/${ada.id}`, patch({ op: 'replace', path: 'active', value: false }))
      t.equal(off.json().active, false)
      t.same(await memberEmails(), ['owner@t1.example'], 'an explicit false from unassigned deprovisions')
    })

    t.test('a deprovisioned user stays deprovisioned when active is removed', async (t) => {
      const ada = (await scim(app, team, 'POST', '/Users', user('ada@x.example', { active: false }))).json()
      const res = await scim(app, team, 'PATCH', `/Users/${ada.id}`, patch({ op: 'remove', path: 'active' }))
      t.equal(res.statusCode, 200)
      t.equal(res.json().active, false, 'removing active gives nobody access: only an explicit true does')
      t.same(await memberEmails(), ['owner@t1.example'])
    })

    t.test('two users for one account: an unassigned one still holds the membership', async (t) => {
      // Entra does not keep mail unique: two SCIM users can stand for one Compound account.
      const first = (await scim(app, team, 'POST', '/Users', user('shared@x.example'))).json()
      const second = (
        await scim(app, team, 'POST', '/Users', user('shared-2', { emails: [{ value: 'shared@x.example', primary: true }] }))
      ).json()
      await scim(app, team, 'PATCH', `/Users/${first.id}`, patch({ op: 'remove', path: 'active' }))
      await scim(app, team, 'PATCH', `/Users/${second.id}`, patch({ op: 'replace', path: 'active', value: false }))
      t.same(
        await memberEmails(),
        ['owner@t1.example', 'shared@x.example'],
        'the unassigned user is not deprovisioned, so the account stays',
      )
    })

    t.test('the Owner: removing active is allowed (it deprovisions nobody)', async (t) => {
      const owner = (await scim(app, team, 'POST', '/Users', user(team.ownerEmail))).json()
      const res = await scim(app, team, 'PATCH', `/Users/${owner.id}`, patch({ op: 'remove', path: 'active' }))
      t.equal(res.statusCode, 200)
      t.same(await memberEmails(), ['owner@t1.example'])
    })
  })
}
