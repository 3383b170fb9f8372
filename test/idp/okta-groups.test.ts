import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'
import { filtered, groupMemberIds, memberByEmail, patchOp, resources } from './idp-helpers.js'
import { replay, type Step } from './replay.js'

/**
 * Okta beyond users (test/idp/okta.test.ts): Group Push from Okta's "SCIM 2.0 protocol reference"
 * (lookup by displayName, POST with members, rename by a no-path replace carrying {id, displayName},
 * member changes by `add` on "members" and `remove` on `members[value eq "id"]`, often in one request),
 * the whole-group PUT that AIW (app integration wizard) apps send, and the password Okta includes
 * in user bodies when password sync is on.
 */

const oktaUser = (login: string, givenName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [URN.user],
  userName: login,
  name: { givenName, familyName: 'Okta' },
  emails: [{ primary: true, value: login, type: 'work' }],
  displayName: `${givenName} Okta`,
  locale: 'en-US',
  externalId: `00u${givenName.toLowerCase()}`,
  groups: [],
  password: 'Tr0ub4dor&3',
  active: true,
  ...extra,
})

const steps: Step[] = [
  { name: 'create Ana', method: 'POST', path: '/Users', body: oktaUser('ana@okta.example', 'Ana'), status: 201, remember: { ana: 'id' } },
  { name: 'create Ben', method: 'POST', path: '/Users', body: oktaUser('ben@okta.example', 'Ben'), status: 201, remember: { ben: 'id' } },
  { name: 'create Cy', method: 'POST', path: '/Users', body: oktaUser('cy@okta.example', 'Cy'), status: 201, remember: { cy: 'id' } },
  {
    name: 'Group Push: lookup by displayName before creating',
    method: 'GET',
    path: filtered('Groups', 'displayName eq "Sales"', '&startIndex=1&count=100'),
    status: 200,
    expect: (body, { t }) => t.equal(body.totalResults, 0),
  },
  {
    name: 'Group Push: POST the group with its members',
    method: 'POST',
    path: '/Groups',
    body: {
      schemas: [URN.group],
      displayName: 'Sales',
      members: [
        { value: '{{ana}}', display: 'ana@okta.example' },
        { value: '{{ben}}', display: 'ben@okta.example' },
      ],
    },
    status: 201,
    remember: { groupId: 'id' },
    expect: (body, { t, vars }) =>
      t.same(((body.members ?? []) as { value: string }[]).map((m) => m.value).sort(), [vars.ana, vars.ben].sort()),
  },
  {
    name: 'Group Push: lookup by displayName finds it',
    method: 'GET',
    path: filtered('Groups', 'displayName eq "Sales"'),
    status: 200,
    expect: (body, { t, vars }) =>
      t.same(
        resources(body).map((g) => g.id),
        [vars.groupId],
      ),
  },
  {
    name: 'Group Push rename: no-path replace with {id, displayName}',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'replace', value: { id: '{{groupId}}', displayName: 'Sales EMEA' } }),
    status: 204,
  },
  {
    name: 'the rename kept the members',
    method: 'GET',
    path: '/Groups/{{groupId}}',
    status: 200,
    expect: (body, { t, vars }) => {
      t.equal(body.displayName, 'Sales EMEA')
      t.same(((body.members ?? []) as { value: string }[]).map((m) => m.value).sort(), [vars.ana, vars.ben].sort())
    },
  },
  {
    name: 'Group Push membership: remove members[value eq "id"] and add to "members" in one request',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp(
      { op: 'remove', path: 'members[value eq "{{ben}}"]' },
      { op: 'add', path: 'members', value: [{ value: '{{cy}}', display: 'cy@okta.example' }] },
    ),
    status: 204,
    expect: async (_body, state) => state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.ana, state.vars.cy].sort()),
  },
  {
    name: 'Group Push repeats an add of a current member: no duplicate',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'add', path: 'members', value: [{ value: '{{cy}}', display: 'cy@okta.example' }] }),
    status: 204,
    expect: async (_body, state) => state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.ana, state.vars.cy].sort()),
  },
  {
    name: 'Group Push removes a member that is already gone: no-op',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'remove', path: 'members[value eq "{{ben}}"]' }),
    status: 204,
    expect: async (_body, state) => state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.ana, state.vars.cy].sort()),
  },
  {
    name: 'AIW apps: PUT with the whole group sets name and members',
    method: 'PUT',
    path: '/Groups/{{groupId}}',
    body: {
      schemas: [URN.group],
      id: '{{groupId}}',
      displayName: 'Sales',
      members: [
        { value: '{{ben}}', display: 'ben@okta.example' },
        { value: '{{cy}}', display: 'cy@okta.example' },
      ],
    },
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.displayName, 'Sales')
      state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.ben, state.vars.cy].sort())
    },
  },
  {
    name: 'AIW apps: the same PUT again changes nothing',
    method: 'PUT',
    path: '/Groups/{{groupId}}',
    body: {
      schemas: [URN.group],
      id: '{{groupId}}',
      displayName: 'Sales',
      members: [{ value: '{{ben}}' }, { value: '{{cy}}' }],
    },
    status: 200,
    expect: async (_body, state) => state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.ben, state.vars.cy].sort()),
  },
  {
    name: 'password in a PUT body: accepted and never returned',
    method: 'PUT',
    path: '/Users/{{ana}}',
    body: { ...oktaUser('ana@okta.example', 'Anna', { password: 'n3w-Passw0rd!' }), id: '{{ana}}' },
    status: 200,
    expect: async (body, state) => {
      state.t.notOk('password' in body)
      state.t.equal((body.name as Record<string, unknown>).givenName, 'Anna')
      state.t.equal((await memberByEmail(state, 'ana@okta.example'))?.displayName, 'Anna Okta')
    },
  },
  {
    name: 'password is not returned by GET or lists either',
    method: 'GET',
    path: filtered('Users', 'userName eq "ana@okta.example"'),
    status: 200,
    expect: (body, { t }) => {
      t.equal(body.totalResults, 1)
      t.notOk(JSON.stringify(body).includes('n3w-Passw0rd!'))
      t.notOk('password' in resources(body)[0]!)
    },
  },
  {
    name: 'password in a no-path PATCH (password sync) is accepted and dropped',
    method: 'PATCH',
    path: '/Users/{{ana}}',
    body: patchOp({ op: 'replace', value: { password: 'an0ther-Passw0rd' } }),
    status: 200,
    expect: (body, { t }) => t.notOk(JSON.stringify(body).includes('an0ther-Passw0rd')),
  },
  {
    name: 'Group Push unlink with delete: DELETE the group, users stay',
    method: 'DELETE',
    path: '/Groups/{{groupId}}',
    status: 204,
    expect: async (_body, state) => state.t.equal((await memberByEmail(state, 'ben@okta.example'))?.role, 'member'),
  },
  { name: 'the deleted group is 404', method: 'GET', path: '/Groups/{{groupId}}', status: 404 },
]

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    await replay(t, app, await scimTeam(app, 'okta-groups'), steps)
  })
}
