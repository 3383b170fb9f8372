import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { scimTeam, testApp } from '../helpers/app.js'
import { testDatabases, type TestDatabase } from '../helpers/databases.js'
import { accountCount, filtered, groupMemberIds, memberByEmail, patchOp, resources } from './idp-helpers.js'
import { replay, type Step } from './replay.js'

/**
 * Three clients with less published detail, one replay each on its own team.
 *
 * Ping (PingFederate's SCIM Provisioner and PingOne's SCIM outbound provisioning, from Ping's
 * connector reference): users are matched on a unique identifier (userName), never PATCHed (create,
 * then PUT for every update, disable and re-enable), "Provision Disabled Users" creates users with
 * active false, "Remove User Action" is disable or delete, groups are found by listing them all,
 * and group changes are PATCHes; the connector also speaks SCIM 1.1, whose URNs appear in bodies.
 *
 * Google Workspace (auto-provisioning to SCIM apps): Google publishes no request bodies. The steps
 * are RFC 7644 shapes for the lifecycle its admin help outlines (create on assignment, profile
 * updates, suspension and restore, deletion), plus the same update sent twice.
 *
 * Rippling (SCIM app provisioning): no public request reference either. PUT of the whole user for
 * updates and for deactivation (termination), the same PUT retried, and a re-hire as a new POST of
 * the same userName, which reactivates the deactivated user: a POST whose userName matches a
 * deactivated user of the team brings back that user, with its id and account.
 */

const ENT = URN.enterpriseUser
const CORE11 = 'urn:scim:schemas:core:1.0'

const person = (login: string, first: string, last: string, extra: Record<string, unknown> = {}) => ({
  schemas: [URN.user],
  userName: login,
  name: { givenName: first, familyName: last },
  displayName: `${first} ${last}`,
  emails: [{ value: login, type: 'work', primary: true }],
  active: true,
  ...extra,
})

const pingSteps = (db: TestDatabase): Step[] => [
  {
    name: 'Ping: lookup by the unique user identifier (userName)',
    method: 'GET',
    path: filtered('Users', 'userName eq "paula@ping.example"'),
    status: 200,
    expect: (body, { t }) => t.equal(body.totalResults, 0),
  },
  {
    name: 'Ping Provision Disabled Users: POST with active false creates the user and account, no membership',
    method: 'POST',
    path: '/Users',
    body: person('paula@ping.example', 'Paula', 'Quinn', { active: false, [ENT]: { department: 'Legal' } }),
    status: 201,
    remember: { paula: 'id' },
    expect: async (body, state) => {
      state.t.equal(body.active, false)
      state.t.equal(await memberByEmail(state, 'paula@ping.example'), undefined)
      state.t.equal(await accountCount(db, 'paula@ping.example'), 1)
    },
  },
  {
    name: 'Ping re-enables with PUT active true: Member on the same account',
    method: 'PUT',
    path: '/Users/{{paula}}',
    body: { ...person('paula@ping.example', 'Paula', 'Quinn', { [ENT]: { department: 'Legal' } }), id: '{{paula}}' },
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, true)
      state.t.equal((await memberByEmail(state, 'paula@ping.example'))?.role, 'member')
      state.t.equal(await accountCount(db, 'paula@ping.example'), 1)
    },
  },
  {
    name: 'Ping updates with PUT, SCIM 1.1 core URN mixed into schemas',
    method: 'PUT',
    path: '/Users/{{paula}}',
    body: {
      ...person('paula@ping.example', 'Paula', 'Quinn-Ray', { title: 'Counsel', [ENT]: { department: 'Legal' } }),
      schemas: [URN.user, CORE11, ENT],
    },
    status: 200,
    expect: async (body, state) => {
      state.t.same([body.title, body.schemas], ['Counsel', [URN.user, ENT]])
      state.t.equal((await memberByEmail(state, 'paula@ping.example'))?.displayName, 'Paula Quinn-Ray')
    },
  },
  {
    name: 'Ping Remove User Action "disable": PUT with active false',
    method: 'PUT',
    path: '/Users/{{paula}}',
    body: person('paula@ping.example', 'Paula', 'Quinn-Ray', { active: false, title: 'Counsel' }),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, false)
      state.t.equal(await memberByEmail(state, 'paula@ping.example'), undefined)
    },
  },
  {
    name: 'Ping re-enables a disabled user with PUT active true',
    method: 'PUT',
    path: '/Users/{{paula}}',
    body: person('paula@ping.example', 'Paula', 'Quinn-Ray', { title: 'Counsel' }),
    status: 200,
    expect: async (_body, state) => state.t.equal((await memberByEmail(state, 'paula@ping.example'))?.role, 'member'),
  },
  {
    name: 'Ping: a second user',
    method: 'POST',
    path: '/Users',
    body: person('pedro@ping.example', 'Pedro', 'Silva'),
    status: 201,
    remember: { pedro: 'id' },
  },
  {
    name: 'Ping finds groups by listing them all (no group filter)',
    method: 'GET',
    path: '/Groups?startIndex=1&count=100',
    status: 200,
    expect: (body, { t }) => t.equal(body.totalResults, 0),
  },
  {
    name: 'Ping: create the group',
    method: 'POST',
    path: '/Groups',
    body: { schemas: [URN.group], displayName: 'Ping Legal' },
    status: 201,
    remember: { groupId: 'id' },
  },
  {
    name: 'Ping group PATCH: add members',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'add', path: 'members', value: [{ value: '{{paula}}' }, { value: '{{pedro}}' }] }),
    status: 204,
    expect: async (_body, state) =>
      state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.paula, state.vars.pedro].sort()),
  },
  {
    name: 'SCIM 1.1 URN prefixes on a Group: replace urn:scim:schemas:core:1.0:displayName',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'replace', path: `${CORE11}:displayName`, value: 'Ping Legal & Compliance' }),
    status: 204,
  },
  {
    name: 'Ping lists groups again and finds the renamed one with both members',
    method: 'GET',
    path: '/Groups?startIndex=1&count=100',
    status: 200,
    expect: (body, { t, vars }) => {
      const [group] = resources(body)
      t.equal(group?.displayName, 'Ping Legal & Compliance')
      t.same(((group?.members ?? []) as { value: string }[]).map((m) => m.value).sort(), [vars.paula, vars.pedro].sort())
    },
  },
  {
    name: 'Ping group PATCH: remove members[value eq "id"]',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'remove', path: 'members[value eq "{{pedro}}"]' }),
    status: 204,
    expect: async (_body, state) => state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.paula]),
  },
  {
    name: 'Ping Remove User Action "delete": DELETE, and the group loses the member',
    method: 'DELETE',
    path: '/Users/{{paula}}',
    status: 204,
    expect: async (_body, state) => {
      state.t.same(await groupMemberIds(state, state.vars.groupId!), [])
      state.t.equal(await memberByEmail(state, 'paula@ping.example'), undefined)
      state.t.equal(await accountCount(db, 'paula@ping.example'), 1, 'the account stays')
    },
  },
]

const googleSteps: Step[] = [
  {
    name: 'Google: lookup by userName before create',
    method: 'GET',
    path: filtered('Users', 'userName eq "gia@google.example"'),
    status: 200,
    expect: (body, { t }) => t.equal(body.totalResults, 0),
  },
  {
    name: 'Google: create on assignment',
    method: 'POST',
    path: '/Users',
    body: person('gia@google.example', 'Gia', 'Rossi', { externalId: '104857600000000000001' }),
    status: 201,
    remember: { gia: 'id' },
    expect: async (_body, state) => state.t.equal((await memberByEmail(state, 'gia@google.example'))?.role, 'member'),
  },
  {
    name: 'Google: profile update with lower-case ops',
    method: 'PATCH',
    path: '/Users/{{gia}}',
    body: patchOp(
      { op: 'replace', path: 'name.familyName', value: 'Rossi-Bianchi' },
      { op: 'replace', path: 'displayName', value: 'Gia Rossi-Bianchi' },
    ),
    status: 200,
    expect: async (_body, state) => state.t.equal((await memberByEmail(state, 'gia@google.example'))?.displayName, 'Gia Rossi-Bianchi'),
  },
  {
    name: 'repeated identical operations: the same update again gives the same user',
    method: 'PATCH',
    path: '/Users/{{gia}}',
    body: patchOp(
      { op: 'replace', path: 'name.familyName', value: 'Rossi-Bianchi' },
      { op: 'replace', path: 'displayName', value: 'Gia Rossi-Bianchi' },
    ),
    status: 200,
    expect: (body, { t }) => {
      t.same([body.name, body.displayName], [{ givenName: 'Gia', familyName: 'Rossi-Bianchi' }, 'Gia Rossi-Bianchi'])
    },
  },
  {
    name: 'repeated identical operations: an email add sent twice is stored once',
    method: 'PATCH',
    path: '/Users/{{gia}}',
    body: patchOp({ op: 'add', path: 'emails', value: [{ value: 'gia.alias@google.example', type: 'other' }] }),
    status: 200,
  },
  {
    name: 'repeated identical operations: the second email add',
    method: 'PATCH',
    path: '/Users/{{gia}}',
    body: patchOp({ op: 'add', path: 'emails', value: [{ value: 'gia.alias@google.example', type: 'other' }] }),
    status: 200,
    expect: (body, { t }) => t.equal((body.emails as unknown[]).length, 2),
  },
  {
    name: 'Google suspension: replace active false',
    method: 'PATCH',
    path: '/Users/{{gia}}',
    body: patchOp({ op: 'replace', path: 'active', value: false }),
    status: 200,
    expect: async (_body, state) => state.t.equal(await memberByEmail(state, 'gia@google.example'), undefined),
  },
  {
    name: 'Google restore: replace active true, Member again',
    method: 'PATCH',
    path: '/Users/{{gia}}',
    body: patchOp({ op: 'replace', path: 'active', value: true }),
    status: 200,
    expect: async (_body, state) => state.t.equal((await memberByEmail(state, 'gia@google.example'))?.role, 'member'),
  },
  {
    name: 'unknown attributes in a create are ignored',
    method: 'POST',
    path: '/Users',
    body: person('gus@google.example', 'Gus', 'Moreau', {
      orgUnitPath: '/Sales',
      isAdmin: false,
      'urn:ietf:params:scim:schemas:extension:google:2.0:User': { costCenter: '7' },
    }),
    status: 201,
    expect: (body, { t }) => t.notOk('orgUnitPath' in body || 'isAdmin' in body || JSON.stringify(body).includes('google:2.0')),
  },
  {
    name: 'Google: delete on unassignment',
    method: 'DELETE',
    path: '/Users/{{gia}}',
    status: 204,
    expect: async (_body, state) => state.t.equal(await memberByEmail(state, 'gia@google.example'), undefined),
  },
]

const ripplingSteps = (db: TestDatabase): Step[] => [
  {
    name: 'Rippling: create',
    method: 'POST',
    path: '/Users',
    body: person('rosa@rippling.example', 'Rosa', 'Ng', { title: 'Designer', [ENT]: { employeeNumber: 'R-100', department: 'Design' } }),
    status: 201,
    remember: { rosa: 'id' },
  },
  {
    name: 'Rippling sends PUT for updates',
    method: 'PUT',
    path: '/Users/{{rosa}}',
    body: {
      ...person('rosa@rippling.example', 'Rosa', 'Ng', {
        title: 'Lead Designer',
        [ENT]: { employeeNumber: 'R-100', department: 'Design' },
      }),
      id: '{{rosa}}',
    },
    status: 200,
    expect: (body, { t }) => t.equal(body.title, 'Lead Designer'),
  },
  {
    name: 'Rippling retries the same PUT: the same user, still Member',
    method: 'PUT',
    path: '/Users/{{rosa}}',
    body: {
      ...person('rosa@rippling.example', 'Rosa', 'Ng', {
        title: 'Lead Designer',
        [ENT]: { employeeNumber: 'R-100', department: 'Design' },
      }),
      id: '{{rosa}}',
    },
    status: 200,
    expect: async (body, state) => {
      state.t.same([body.title, body[ENT]], ['Lead Designer', { employeeNumber: 'R-100', department: 'Design' }])
      state.t.equal((await memberByEmail(state, 'rosa@rippling.example'))?.role, 'member')
    },
  },
  {
    name: 'Rippling deactivates (termination) with PUT active false',
    method: 'PUT',
    path: '/Users/{{rosa}}',
    body: person('rosa@rippling.example', 'Rosa', 'Ng', { active: false, title: 'Lead Designer' }),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, false)
      state.t.equal(await memberByEmail(state, 'rosa@rippling.example'), undefined)
    },
  },
  {
    name: 'Rippling retries the deactivating PUT: the same result',
    method: 'PUT',
    path: '/Users/{{rosa}}',
    body: person('rosa@rippling.example', 'Rosa', 'Ng', { active: false, title: 'Lead Designer' }),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, false)
      state.t.equal(await memberByEmail(state, 'rosa@rippling.example'), undefined)
    },
  },
  {
    name: 'Rippling re-hire: a new POST of the same userName reactivates the same user and account',
    method: 'POST',
    path: '/Users',
    body: person('rosa@rippling.example', 'Rosa', 'Ng', { title: 'Principal Designer' }),
    status: 201,
    expect: async (body, state) => {
      state.t.same([body.id, body.active, body.title], [state.vars.rosa, true, 'Principal Designer'])
      state.t.equal((await memberByEmail(state, 'rosa@rippling.example'))?.role, 'member')
      state.t.equal(await accountCount(db, 'rosa@rippling.example'), 1)
    },
  },
]

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    t.test('Ping', async (t) => replay(t, app, await scimTeam(app, 'ping'), pingSteps(db)))
    t.test('Google Workspace', async (t) => replay(t, app, await scimTeam(app, 'google'), googleSteps))
    t.test('Rippling', async (t) => replay(t, app, await scimTeam(app, 'rippling'), ripplingSteps(db)))
  })
}
