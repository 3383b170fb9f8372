import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { admin, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'
import { replay, type ReplayState, type Step } from './replay.js'

/**
 * Okta's documented provisioning sequence (Okta's "SCIM 2.0 protocol reference" and "Build a SCIM
 * provisioning integration"): the connection test, the userName lookup before every create, Push
 * New Users, Push Profile Updates (PUT with the whole user), deactivation on unassign (no-path
 * PATCH), reactivation, and the re-POST Okta sends when a person is assigned again.
 */

const oktaUser = (givenName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [URN.user],
  userName: 'isa.brown@example.com',
  name: { givenName, familyName: 'Brown' },
  emails: [{ primary: true, value: 'isa.brown@example.com', type: 'work' }],
  displayName: `${givenName} Brown`,
  locale: 'en-US',
  externalId: '00ujl29u0le5T6Aj10h7',
  groups: [],
  password: '1mz050nq',
  active: true,
  ...extra,
})

const member = async ({ app }: ReplayState) =>
  ((await admin(app, 'GET', '/teams/okta/members')).json().members as { email: string; role: string; displayName: string }[]).find(
    (m) => m.email === 'isa.brown@example.com',
  )

const lookup = (userName: string) => `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`

const steps: Step[] = [
  {
    name: 'connection test',
    method: 'GET',
    path: '/Users?startIndex=1&count=2',
    status: 200,
    expect: (body, { t }) => t.same([body.totalResults, body.startIndex, body.itemsPerPage, body.schemas], [0, 1, 0, [URN.listResponse]]),
  },
  {
    name: 'lookup before create',
    method: 'GET',
    path: lookup('isa.brown@example.com'),
    status: 200,
    expect: (body, { t }) => t.equal(body.totalResults, 0),
  },
  {
    name: 'Push New Users',
    method: 'POST',
    path: '/Users',
    body: oktaUser('Isabel'),
    status: 201,
    remember: { id: 'id' },
    expect: async (body, state) => {
      state.t.equal(body.active, true)
      state.t.notOk('password' in body, 'the password is accepted and never returned')
      const account = await member(state)
      state.t.same([account?.displayName, account?.role], ['Isabel Brown', 'member'])
    },
  },
  {
    name: 'lookup finds the user, case-insensitively',
    method: 'GET',
    path: lookup('ISA.BROWN@EXAMPLE.COM'),
    status: 200,
    expect: (body, { t, vars }) =>
      t.same(
        (body.Resources as { id: string }[]).map((u) => u.id),
        [vars.id],
      ),
  },
  { name: 'read back', method: 'GET', path: '/Users/{{id}}', status: 200 },
  {
    name: 'Push Profile Updates (PUT with the whole user)',
    method: 'PUT',
    path: '/Users/{{id}}',
    body: { ...oktaUser('Isa'), id: '{{id}}' },
    status: 200,
    expect: async (body, state) => {
      state.t.same(body.name, { givenName: 'Isa', familyName: 'Brown' })
      state.t.equal((await member(state))?.displayName, 'Isa Brown', 'the account profile follows')
    },
  },
  {
    name: 'unassign: deactivate with a no-path replace',
    method: 'PATCH',
    path: '/Users/{{id}}',
    body: { schemas: [URN.patchOp], Operations: [{ op: 'replace', value: { active: false } }] },
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, false)
      state.t.equal(await member(state), undefined, 'removed from the team')
    },
  },
  {
    name: 'the deactivated user is still found',
    method: 'GET',
    path: lookup('isa.brown@example.com'),
    status: 200,
    expect: (body, { t }) => t.equal((body.Resources as { active: boolean }[])[0]?.active, false),
  },
  {
    name: 'reassign: reactivate',
    method: 'PATCH',
    path: '/Users/{{id}}',
    body: { schemas: [URN.patchOp], Operations: [{ op: 'replace', value: { active: true } }] },
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, true)
      state.t.equal((await member(state))?.role, 'member')
    },
  },
  {
    name: 'custom apps deactivate with PUT active=false',
    method: 'PUT',
    path: '/Users/{{id}}',
    body: oktaUser('Isa', { active: false }),
    status: 200,
    expect: async (_body, state) => state.t.equal(await member(state), undefined),
  },
  {
    name: 're-POST after unassign reactivates the same user',
    method: 'POST',
    path: '/Users',
    body: oktaUser('Isa'),
    status: 201,
    expect: async (body, state) => {
      state.t.equal(body.id, state.vars.id, 'the SCIM id stays the same')
      state.t.equal((await member(state))?.role, 'member')
      const members = (await admin(state.app, 'GET', '/teams/okta/members')).json().members
      state.t.equal(members.length, 2, 'the Owner and Isa: no second account or membership')
    },
  },
  {
    name: 'a duplicate of an active user is 409',
    method: 'POST',
    path: '/Users',
    body: oktaUser('Isa'),
    status: 409,
    expect: (body, { t }) => t.equal(body.scimType, 'uniqueness'),
  },
]

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    await replay(t, app, await scimTeam(app, 'okta'), steps)
  })
}
