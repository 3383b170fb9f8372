import { randomUUID } from 'node:crypto'
import { t } from '../helpers/file-test.js'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { methodNames } from '../../src/store/pg/errors.js'
import { PgStores } from '../../src/store/pg/pg-stores.js'
import type { ScimGroupRecord, ScimUserRecord } from '../../src/store/records.js'
import { StoreConflict } from '../../src/store/store-errors.js'
import type { PortName, Ports, Stores } from '../../src/store/stores.js'
import { testDatabases } from '../helpers/databases.js'

/*
 * The ports' contract, on PGlite and on PostgreSQL: every method of every port, by what it returns
 * and what it stored, its unique rules (StoreConflict) and its team scope (another team's rows are
 * never read or changed). The last test fails when a port has a method no test here called.
 */

/** Every port's methods. A method added to a port interface and missing here is a type error. */
const PORT_METHODS: { [P in PortName]: Record<keyof Ports[P], true> } = {
  accounts: {
    getTeam: true,
    lockTeam: true,
    upsertTeam: true,
    findAccountByEmail: true,
    getAccount: true,
    createAccount: true,
    updateAccount: true,
    findMembershipOfAccount: true,
    addMember: true,
    setMemberRole: true,
    removeMember: true,
    getOwner: true,
    listMembers: true,
    setSso: true,
    removeSso: true,
    getSso: true,
  },
  connections: {
    getEnabledConnection: true,
    getLatestConnection: true,
    insertConnection: true,
    rotateConnectionToken: true,
    disableConnection: true,
    touchConnection: true,
  },
  credentials: { findConnectionByTokenHash: true },
  settings: { getSetting: true, putSettingIfAbsent: true },
  audit: { appendEvent: true, recordChanges: true, listEvents: true, pruneAuditEvents: true },
  users: {
    getUser: true,
    findUserByUserName: true,
    hasOtherActiveUser: true,
    existingUserIds: true,
    insertUser: true,
    insertUserWithNewAccount: true,
    updateUser: true,
    deleteUser: true,
    listUsers: true,
  },
  groups: {
    getGroup: true,
    insertGroup: true,
    updateGroup: true,
    deleteGroup: true,
    listGroups: true,
    listGroupMembers: true,
    groupsOfUsers: true,
    addGroupMembers: true,
    addGroupMembersAndBump: true,
    removeGroupMembers: true,
  },
}
const PORT_NAMES = Object.keys(PORT_METHODS) as PortName[]

/** `stores` with each call noted in `seen` as `port.method` (and `transaction`), the transaction's ports too. */
function recorded(stores: Stores, seen: Set<string>): Stores {
  const port = <P extends object>(name: string, target: P): P =>
    new Proxy(target, {
      get(object, method, receiver) {
        const value = Reflect.get(object, method, receiver) as unknown
        if (typeof value !== 'function' || typeof method !== 'string') return value
        return (...args: unknown[]) => {
          seen.add(`${name}.${method}`)
          return (value as (...args: unknown[]) => unknown).apply(object, args)
        }
      },
    })
  const ports = Object.fromEntries(PORT_NAMES.map((name) => [name, port(name, stores[name])])) as unknown as Ports
  return {
    ...ports,
    transaction: (work) => {
      seen.add('transaction')
      return stores.transaction((tx) => work(recorded(tx, seen)))
    },
  }
}

const T0 = new Date('2026-01-01T00:00:00.000Z')
const T1 = new Date('2026-01-02T00:00:00.000Z')

const user = (accountId: string, userName: string, fields: Partial<ScimUserRecord> = {}): ScimUserRecord => ({
  id: randomUUID(),
  userName,
  externalId: null,
  active: true,
  accountId,
  doc: { userName, emails: [{ value: `${userName}@x.io` }] },
  version: 1,
  created: T0,
  lastModified: T0,
  ...fields,
})

const group = (displayName: string, fields: Partial<ScimGroupRecord> = {}): ScimGroupRecord => ({
  id: randomUUID(),
  displayName,
  externalId: null,
  doc: { displayName },
  version: 1,
  created: T0,
  lastModified: T0,
  ...fields,
})

const page = (filter?: string, count = 10) => ({ startIndex: 1, count, filter: filter === undefined ? undefined : parseFilter(filter) })

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const seen = new Set<string>()
    const store = recorded(db.store, seen)
    t.beforeEach(() => db.reset())

    /** Two teams, each with an account on it (a member), for the scoping checks. */
    async function twoTeams() {
      await store.accounts.upsertTeam('t1', 'Team 1')
      await store.accounts.upsertTeam('t2', 'Team 2')
      const a = await store.accounts.createAccount({ email: 'a@x.io', displayName: 'A' })
      const b = await store.accounts.createAccount({ email: 'b@x.io', displayName: 'B' })
      await store.accounts.addMember('t1', a.id, 'member')
      await store.accounts.addMember('t2', b.id, 'member')
      return { a, b }
    }

    t.test('accounts: teams', async (t) => {
      t.same(await store.accounts.upsertTeam('t1', 'First'), { created: true })
      t.same(await store.accounts.upsertTeam('t1', 'Renamed'), { created: false }, 'the second upsert updates')
      await store.accounts.upsertTeam('t2', 'Other')
      t.same(await store.accounts.getTeam('t1'), { id: 't1', name: 'Renamed' })
      t.equal(await store.accounts.getTeam('nope'), null)
      t.same(await store.transaction((tx) => tx.accounts.lockTeam('t1')), { id: 't1', name: 'Renamed' })
      t.equal(await store.transaction((tx) => tx.accounts.lockTeam('nope')), null)
      if (db.name === 'postgres') {
        // PGlite is one connection: another session's lock attempt cannot be made there.
        await store.transaction(async (tx) => {
          await tx.accounts.lockTeam('t1')
          const attempt = await db.rows(`select id from teams where id = 't1' for update nowait`).then(
            () => 'locked it too',
            (error: { code?: string; cause?: { code?: string } }) => error.code ?? error.cause?.code,
          )
          t.equal(attempt, '55P03', 'the row is locked for the transaction (lock_not_available)')
          t.same(await db.rows(`select id from teams where id = 't2' for update nowait`), [{ id: 't2' }], "another team's row is not")
        })
      }
    })

    t.test('accounts: accounts are global, found by email ASCII case folded', async (t) => {
      const a = await store.accounts.createAccount({ email: 'Ada@Example.com', displayName: 'Ada' })
      t.match(a, { id: String, email: 'Ada@Example.com', displayName: 'Ada' })
      await t.rejects(store.accounts.createAccount({ email: 'ada@EXAMPLE.com', displayName: null }), new StoreConflict('accountEmail'))
      t.same(await store.accounts.findAccountByEmail('ADA@example.COM'), a)
      t.equal(await store.accounts.findAccountByEmail('nobody@example.com'), null)
      t.same(await store.accounts.getAccount(a.id), a)
      t.equal(await store.accounts.getAccount(randomUUID()), null)
      const b = await store.accounts.createAccount({ email: 'b@example.com', displayName: null })
      await store.accounts.updateAccount(a.id, { displayName: 'Ada L.' })
      t.same(await store.accounts.getAccount(a.id), { ...a, displayName: 'Ada L.' }, 'only the fields given change')
      await store.accounts.updateAccount(a.id, { email: 'ada@new.example' })
      t.same(await store.accounts.getAccount(a.id), { id: a.id, email: 'ada@new.example', displayName: 'Ada L.' })
      await t.rejects(store.accounts.updateAccount(b.id, { email: 'ADA@new.example' }), new StoreConflict('accountEmail'))
      t.same(await store.accounts.getAccount(b.id), b, 'the other account is untouched')
    })

    t.test('accounts: memberships, one team per account and one Owner per team', async (t) => {
      const { a, b } = await twoTeams()
      t.same(await store.accounts.findMembershipOfAccount(a.id), { teamId: 't1', role: 'member' })
      t.same(await store.transaction((tx) => tx.accounts.findMembershipOfAccount(a.id, { lock: true })), { teamId: 't1', role: 'member' })
      const c = await store.accounts.createAccount({ email: 'c@x.io', displayName: 'C' })
      t.equal(await store.accounts.findMembershipOfAccount(c.id), null)
      await t.rejects(store.accounts.addMember('t2', a.id, 'member'), new StoreConflict('oneTeamPerAccount'))
      await store.accounts.addMember('t1', c.id, 'owner')
      const d = await store.accounts.createAccount({ email: 'd@x.io', displayName: null })
      await t.rejects(store.accounts.addMember('t1', d.id, 'owner'), new StoreConflict('oneOwnerPerTeam'))
      t.same(await store.accounts.getOwner('t1'), c)
      t.equal(await store.accounts.getOwner('t2'), null, "another team's Owner is not this one")
      t.same(
        await store.accounts.listMembers('t1'),
        [
          { ...a, role: 'member' },
          { ...c, role: 'owner' },
        ],
        'in the order they joined',
      )
      t.same(await store.accounts.listMembers('t2'), [{ ...b, role: 'member' }])

      await store.accounts.setMemberRole('t2', a.id, 'admin')
      t.same(await store.accounts.findMembershipOfAccount(a.id), { teamId: 't1', role: 'member' }, "another team's call changes nothing")
      await store.accounts.setMemberRole('t1', a.id, 'admin')
      t.same(await store.accounts.findMembershipOfAccount(a.id), { teamId: 't1', role: 'admin' })

      t.equal(await store.accounts.removeMember('t2', a.id), false, 'not removed through another team')
      t.same(await store.accounts.findMembershipOfAccount(a.id), { teamId: 't1', role: 'admin' })
      t.equal(await store.accounts.removeMember('t1', a.id), true)
      t.equal(await store.accounts.removeMember('t1', a.id), false, 'gone already')
      t.equal(await store.accounts.findMembershipOfAccount(a.id), null)
      await store.accounts.addMember('t2', a.id, 'member')
      t.same(await store.accounts.findMembershipOfAccount(a.id), { teamId: 't2', role: 'member' }, 'free to join another team now')
    })

    t.test('accounts: SSO', async (t) => {
      await twoTeams()
      t.equal(await store.accounts.getSso('t1'), null)
      await store.accounts.setSso('t1', 'saml')
      t.same(await store.accounts.getSso('t1'), { protocol: 'saml', active: true })
      await store.accounts.setSso('t1', 'oidc')
      t.same(await store.accounts.getSso('t1'), { protocol: 'oidc', active: true }, 'a second setSso replaces the first')
      t.equal(await store.accounts.getSso('t2'), null, 'per team')
      t.equal(await store.accounts.removeSso('t2'), false)
      t.same(await store.accounts.getSso('t1'), { protocol: 'oidc', active: true }, "another team's removeSso leaves it")
      t.equal(await store.accounts.removeSso('t1'), true)
      t.same(await store.accounts.getSso('t1'), { protocol: 'oidc', active: false })
      t.equal(await store.accounts.removeSso('t1'), false, 'already inactive')
    })

    t.test('connections: one enabled per team; rotate, disable and touch within the team', async (t) => {
      await twoTeams()
      t.equal(await store.connections.getEnabledConnection('t1'), null)
      t.equal(await store.connections.getLatestConnection('t1'), null)
      const first = await store.connections.insertConnection('t1', 'e1', 'hash-1')
      t.match(first, { teamId: 't1', endpointId: 'e1', createdAt: Date, rotatedAt: null, lastUsedAt: null, disabledAt: null })
      await t.rejects(store.connections.insertConnection('t1', 'e2', 'hash-2'), new StoreConflict('oneEnabledConnection'))
      await store.connections.insertConnection('t2', 'e9', 'hash-9')
      t.same(await store.connections.getEnabledConnection('t1'), first)
      t.same(await store.connections.getLatestConnection('t1'), first)

      await store.connections.touchConnection('t2', 'e1')
      t.equal((await store.connections.getEnabledConnection('t1'))?.lastUsedAt, null, "another team's touch changes nothing")
      await store.connections.touchConnection('t1', 'e1')
      t.type((await store.connections.getEnabledConnection('t1'))?.lastUsedAt, Date)

      const rotated = await store.connections.rotateConnectionToken('t1', 'e1', 'hash-1b')
      t.match(rotated, { teamId: 't1', endpointId: 'e1', rotatedAt: Date, disabledAt: null })
      t.equal(await store.credentials.findConnectionByTokenHash('hash-1'), null, 'the old token no longer matches')
      t.equal((await store.credentials.findConnectionByTokenHash('hash-1b'))?.credential.endpointId, 'e1')

      await store.connections.disableConnection('t2', 'e1')
      t.ok(await store.connections.getEnabledConnection('t1'), "another team's disable changes nothing")
      await store.connections.disableConnection('t1', 'e1')
      t.equal(await store.connections.getEnabledConnection('t1'), null)
      t.match(await store.connections.getLatestConnection('t1'), { endpointId: 'e1', disabledAt: Date })
      t.equal(await store.credentials.findConnectionByTokenHash('hash-1b'), null, 'a disabled token never matches')
      const second = await store.connections.insertConnection('t1', 'e2', 'hash-2')
      t.same(await store.connections.getLatestConnection('t1'), second, 'a new one after the disabled one is the latest')
      t.same(await store.connections.getEnabledConnection('t2'), await store.connections.getLatestConnection('t2'), 't2 kept its own')
    })

    t.test("credentials: the token's connection, with its own team's users in the same statement", async (t) => {
      const { a, b } = await twoTeams()
      await store.connections.insertConnection('t1', 'e1', 'hash-1')
      const ada = user(a.id, 'ada')
      await store.users.insertUser('t1', ada)
      await store.users.insertUser('t2', user(b.id, 'ada', { externalId: 'x' }))
      const credential = { teamId: 't1', endpointId: 'e1', tokenHash: 'hash-1', lastUsedAt: null, ssoActive: false }
      t.same(await store.credentials.findConnectionByTokenHash('hash-1'), { credential, users: undefined })
      await store.accounts.setSso('t1', 'saml')
      t.same((await store.credentials.findConnectionByTokenHash('hash-1'))?.credential, { ...credential, ssoActive: true })
      t.equal(await store.credentials.findConnectionByTokenHash('hash-unknown', page('userName eq "ada"')), null)
      const found = await store.credentials.findConnectionByTokenHash('hash-1', page('userName eq "ADA"'))
      t.same(found?.users, { totalResults: 1, resources: [ada] }, "only the token's team's user of that userName")
      t.same((await store.credentials.findConnectionByTokenHash('hash-1', page('externalId eq "x"')))?.users, {
        totalResults: 0,
        resources: [],
      })
      t.same(
        (await store.credentials.findConnectionByTokenHash('hash-1', page()))?.users,
        { totalResults: 1, resources: [ada] },
        'the first page',
      )
      const other = await store.credentials.findConnectionByTokenHash('hash-1', page('displayName eq "x"'))
      t.same(other, { credential: { ...credential, ssoActive: true }, users: undefined }, 'another filter: the token alone')
    })

    t.test('settings: stored once, shared', async (t) => {
      t.equal(await store.settings.getSetting('k'), null)
      t.equal(await store.settings.putSettingIfAbsent('k', 'first'), 'first')
      t.equal(await store.settings.putSettingIfAbsent('k', 'second'), 'first', 'the stored value wins')
      t.equal(await store.settings.getSetting('k'), 'first')
      t.equal(await store.settings.getSetting('other'), null)
    })

    t.test('audit: entries per team, newest first, paged by id', async (t) => {
      await twoTeams()
      for (let n = 1; n <= 3; n++) {
        await store.audit.appendEvent('t1', {
          source: 'scim',
          action: 'user.create',
          outcome: 'created',
          endpointId: 'e1',
          detail: `n${n}`,
        })
      }
      await store.audit.appendEvent('t2', { source: 'admin', action: 'team.create', outcome: 'ok' })
      const all = await store.audit.listEvents('t1', { limit: 10 })
      t.same(
        all.map((e) => e.detail),
        ['n3', 'n2', 'n1'],
        "newest first, and not another team's",
      )
      t.match(all[0], { id: Number, at: Date, source: 'scim', action: 'user.create', outcome: 'created', endpointId: 'e1', actorId: null })
      t.same(
        (await store.audit.listEvents('t1', { limit: 1, beforeId: all[0]!.id })).map((e) => e.detail),
        ['n2'],
      )
      t.same(
        (await store.audit.listEvents('t2', { limit: 10 })).map((e) => e.action),
        ['team.create'],
      )
    })

    t.test('audit: recordChanges writes the entry and its change events with the transaction', async (t) => {
      await twoTeams()
      let committed = 0
      const announcing = recorded(new PgStores(db.database.db, { onChangesCommitted: () => committed++ }), seen)
      const entry = { source: 'admin', action: 'sso.remove', outcome: 'ok' } as const
      await announcing.audit.recordChanges('t1', entry, [])
      t.equal(committed, 0, 'no change event: nothing to announce')
      await announcing.transaction((tx) =>
        tx.audit.recordChanges('t1', entry, [{ kind: 'scim.suspended', changes: { endpointId: 'e1', reason: 'sso_inactive' } }]),
      )
      t.equal(committed, 1, 'announced once the transaction committed')
      await t.rejects(
        announcing.transaction(async (tx) => {
          await tx.audit.recordChanges('t1', entry, [{ kind: 'member.added', changes: {} }])
          throw new Error('rolled back')
        }),
      )
      t.equal(committed, 1, 'a rolled back transaction announces nothing')
      t.equal((await store.audit.listEvents('t1', { limit: 10 })).length, 2, 'two entries: the rolled back one is gone')
      t.same(await db.rows(`select team_id, kind, changes from change_events order by id`), [
        { team_id: 't1', kind: 'scim.suspended', changes: { endpointId: 'e1', reason: 'sso_inactive' } },
      ])
    })

    t.test('audit: pruning deletes the entries older than the cutoff, on every team', async (t) => {
      await twoTeams()
      for (const team of ['t1', 't2']) {
        await store.audit.appendEvent(team, { source: 'admin', action: 'old', outcome: 'ok' })
        await store.audit.appendEvent(team, { source: 'admin', action: 'new', outcome: 'ok' })
      }
      await db.rows(`update audit_events set at = '2025-01-01T00:00:00Z' where action = 'old'`)
      t.equal(await store.audit.pruneAuditEvents(new Date('2025-06-01T00:00:00Z'), 100), 2)
      t.same(
        (await db.rows<{ team_id: string; action: string }>(`select team_id, action from audit_events order by team_id`)).map(
          (r) => `${r.team_id}:${r.action}`,
        ),
        ['t1:new', 't2:new'],
      )
      t.equal(await store.audit.pruneAuditEvents(new Date('2025-06-01T00:00:00Z'), 100), 0, 'nothing left to prune')
    })

    t.test('users: stored as given, read back within the team only', async (t) => {
      const { a, b } = await twoTeams()
      const ada = user(a.id, 'Ada', { externalId: 'ext-1', doc: { userName: 'Ada', name: { givenName: 'Ada' } } })
      await store.users.insertUser('t1', ada)
      await t.rejects(store.users.insertUser('t1', user(a.id, 'ADA')), new StoreConflict('userName'))
      await store.users.insertUser('t2', user(b.id, 'ada'))
      t.same(await store.users.getUser('t1', ada.id), ada)
      t.same(await store.transaction((tx) => tx.users.getUser('t1', ada.id, { lock: true })), ada)
      t.equal(await store.users.getUser('t2', ada.id), null)
      t.same(await store.users.findUserByUserName('t1', 'aDA'), ada)
      t.same(await store.transaction((tx) => tx.users.findUserByUserName('t1', 'ada', { lock: true })), ada)
      t.not((await store.users.findUserByUserName('t2', 'Ada'))?.id, ada.id, "t2's own ada")
      t.equal(await store.users.findUserByUserName('t1', 'nobody'), null)

      const other = randomUUID()
      t.same([...(await store.users.existingUserIds('t1', [ada.id, other]))], [ada.id])
      t.same([...(await store.users.existingUserIds('t2', [ada.id]))], [], "another team's id is not its user")
      t.same([...(await store.users.existingUserIds('t1', []))], [])

      const changed = { ...ada, userName: 'ada.l', doc: { userName: 'ada.l' }, version: 2, lastModified: T1 }
      t.equal(await store.users.updateUser('t2', changed, 1), false, 'not through another team')
      t.equal(await store.users.updateUser('t1', changed, 2), false, 'not at another version')
      t.same(await store.users.getUser('t1', ada.id), ada)
      t.equal(await store.users.updateUser('t1', changed, 1), true)
      t.same(await store.users.getUser('t1', ada.id), changed)

      t.equal(await store.users.deleteUser('t2', ada.id), false)
      t.ok(await store.users.getUser('t1', ada.id))
      t.equal(await store.users.deleteUser('t1', ada.id), true)
      t.equal(await store.users.getUser('t1', ada.id), null)
      t.equal(await store.users.deleteUser('t1', ada.id), false)
    })

    t.test('users: another active user for the same account', async (t) => {
      const { a } = await twoTeams()
      const first = user(a.id, 'first')
      await store.users.insertUser('t1', first)
      t.equal(await store.users.hasOtherActiveUser('t1', a.id, first.id), false, 'itself does not count')
      const second = user(a.id, 'second', { active: false })
      await store.users.insertUser('t1', second)
      t.equal(await store.users.hasOtherActiveUser('t1', a.id, first.id), false, 'a deprovisioned one does not count')
      await store.users.updateUser('t1', { ...second, active: null, version: 2 }, 1)
      t.equal(await store.users.hasOtherActiveUser('t1', a.id, first.id), true, 'an unassigned one does')
      t.equal(await store.users.hasOtherActiveUser('t2', a.id, first.id), false, "not another team's")
    })

    t.test('users: a new person in one statement, or nothing written', async (t) => {
      const { a } = await twoTeams()
      const { accountId: _, ...fresh } = user(a.id, 'new.person')
      const accountId = await store.users.insertUserWithNewAccount('t1', fresh, { email: 'New@x.io', displayName: 'New' })
      t.type(accountId, 'string')
      t.same(await store.accounts.getAccount(accountId!), { id: accountId, email: 'New@x.io', displayName: 'New' })
      t.same(await store.accounts.findMembershipOfAccount(accountId!), { teamId: 't1', role: 'member' })
      t.same(await store.users.getUser('t1', fresh.id), { ...fresh, accountId })

      const { accountId: __, ...taken } = user(a.id, 'someone.else')
      t.equal(
        await store.users.insertUserWithNewAccount('t1', taken, { email: 'a@X.io', displayName: null }),
        null,
        'an email an account holds',
      )
      const { accountId: ___, ...sameName } = user(a.id, 'NEW.person')
      t.equal(
        await store.users.insertUserWithNewAccount('t1', sameName, { email: 'z@x.io', displayName: null }),
        null,
        'a userName the team holds',
      )
      t.equal(await store.users.getUser('t1', taken.id), null)
      t.equal(await store.users.getUser('t1', sameName.id), null)
      t.equal(await store.accounts.findAccountByEmail('z@x.io'), null, 'nothing written')
      const elsewhere = await store.users.insertUserWithNewAccount('t2', sameName, { email: 'z@x.io', displayName: null })
      t.type(elsewhere, 'string', "another team's userName does not stand in the way")
    })

    t.test('users: lists, eq lookups and filters within the team', async (t) => {
      const { a, b } = await twoTeams()
      const users = [
        user(a.id, 'u1', { externalId: 'x1' }),
        user(a.id, 'u2', { created: T1 }),
        user(a.id, 'u3', { created: new Date('2026-01-03T00:00:00.000Z') }),
      ]
      for (const u of users) await store.users.insertUser('t1', u)
      await store.users.insertUser('t2', user(b.id, 'u1', { externalId: 'x1' }))
      const all = await store.users.listUsers('t1', page())
      t.same(all.totalResults, 3)
      t.same(
        all.resources.map((u) => u.userName),
        ['u1', 'u2', 'u3'],
        'creation order',
      )
      t.same(await store.users.listUsers('t1', page('userName eq "U1"')), { totalResults: 1, resources: [users[0]] })
      t.same(await store.users.listUsers('t1', page('externalId eq "x1"')), { totalResults: 1, resources: [users[0]] })
      t.same((await store.users.listUsers('t1', page('emails.value eq "u2@x.io"'))).resources, [users[1]])
      t.same((await store.users.listUsers('t1', page('userName sw "u"', 2))).totalResults, 3, 'the total of a short page')
      t.same((await store.users.listUsers('t1', page('userName sw "u"', 2))).resources.length, 2)
      const byCursor = await store.users.listUsers('t1', { startIndex: 1, count: 2, afterId: null })
      t.equal(byCursor.resources.length, 2)
      t.type(byCursor.nextAfterId, 'string', 'a cursor page says where to continue')
      t.same((await store.users.listUsers('t2', page())).totalResults, 1)
    })

    t.test('groups: stored as given, versioned, within the team only', async (t) => {
      await twoTeams()
      const admins = group('Admins', { externalId: 'g-1' })
      await store.groups.insertGroup('t1', admins)
      await t.rejects(store.groups.insertGroup('t1', group('ADMINS')), new StoreConflict('groupDisplayName'))
      await store.groups.insertGroup('t2', group('Admins'))
      t.same(await store.groups.getGroup('t1', admins.id), admins)
      t.same(await store.transaction((tx) => tx.groups.getGroup('t1', admins.id, { lock: true })), admins)
      t.equal(await store.groups.getGroup('t2', admins.id), null)

      const renamed = { ...admins, displayName: 'Operators', doc: { displayName: 'Operators' }, version: 2, lastModified: T1 }
      t.equal(await store.groups.updateGroup('t2', renamed, 1), false, 'not through another team')
      t.equal(await store.groups.updateGroup('t1', renamed, 2), false, 'not at another version')
      t.equal(await store.groups.updateGroup('t1', renamed, 1), true)
      t.same(await store.groups.getGroup('t1', admins.id), renamed)

      const listed = await store.groups.listGroups('t1', page())
      t.same(listed, { totalResults: 1, resources: [renamed], nextAfterId: undefined })
      t.same((await store.groups.listGroups('t1', page('displayName eq "operators"'))).resources, [renamed])
      t.same(
        (await store.groups.listGroups('t2', page())).resources.map((g) => g.displayName),
        ['Admins'],
      )

      t.equal(await store.groups.deleteGroup('t2', admins.id), false)
      t.ok(await store.groups.getGroup('t1', admins.id))
      t.equal(await store.groups.deleteGroup('t1', admins.id), true)
      t.equal(await store.groups.getGroup('t1', admins.id), null)
      t.equal(await store.groups.deleteGroup('t1', admins.id), false)
    })

    t.test('groups: members, only Users of the same team', async (t) => {
      const { a, b } = await twoTeams()
      const [u1, u2] = [user(a.id, 'u1'), user(a.id, 'u2')]
      const stranger = user(b.id, 'stranger')
      await store.users.insertUser('t1', u1)
      await store.users.insertUser('t1', u2)
      await store.users.insertUser('t2', stranger)
      const g = group('G')
      const h = group('H')
      await store.groups.insertGroup('t1', g)
      await store.groups.insertGroup('t1', h)

      t.same(await store.groups.addGroupMembers('t1', g.id, [{ userId: u1.id, display: null }]), [u1.id])
      t.same(
        await store.groups.addGroupMembers('t1', g.id, [
          { userId: u1.id, display: 'ignored' },
          { userId: u2.id, display: 'Second' },
        ]),
        [u2.id],
        'an existing member is not added again',
      )
      t.same(await store.groups.addGroupMembers('t1', g.id, []), [])
      t.same(
        await store.groups.listGroupMembers('t1', [g.id, h.id]),
        new Map([
          [
            g.id,
            [
              { value: u1.id, display: 'u1' },
              { value: u2.id, display: 'Second' },
            ],
          ],
        ]),
        "in insertion order, the display given else the user's userName",
      )
      t.equal(await store.groups.listGroupMembers('t1', [g.id], 1), undefined, 'more than the limit')
      t.same(await store.groups.listGroupMembers('t2', [g.id]), new Map(), 'not through another team')

      const bumped = await store.groups.addGroupMembersAndBump('t1', h.id, [{ userId: u1.id, display: null }], T1)
      t.same(bumped, { group: { ...h, version: 2, lastModified: T1 }, added: [u1.id], unknown: [] })
      t.same(await store.groups.getGroup('t1', h.id), { ...h, version: 2, lastModified: T1 })
      const refused = await store.groups.addGroupMembersAndBump('t1', h.id, [{ userId: stranger.id, display: null }], T1)
      t.same(refused?.unknown, [stranger.id], "another team's user is unknown here")
      t.same(refused?.added, [], 'and nothing is added')
      t.equal(
        await store.groups.addGroupMembersAndBump('t2', h.id, [{ userId: stranger.id, display: null }], T1),
        null,
        "not another team's group",
      )

      t.same(
        await store.groups.groupsOfUsers('t1', [u1.id, u2.id]),
        new Map([
          [
            u1.id,
            [
              { value: g.id, display: 'G' },
              { value: h.id, display: 'H' },
            ],
          ],
          [u2.id, [{ value: g.id, display: 'G' }]],
        ]),
        'by displayName',
      )
      t.equal(await store.groups.groupsOfUsers('t1', [u1.id, u2.id], 2), undefined, 'more than the limit')
      t.same(await store.groups.groupsOfUsers('t2', [u1.id]), new Map())

      t.same(await store.groups.removeGroupMembers('t2', g.id, { allBut: [] }), [], 'not through another team')
      t.same(await store.groups.removeGroupMembers('t1', g.id, { only: [] }), [])
      t.same(await store.groups.removeGroupMembers('t1', g.id, { only: [u1.id] }), [u1.id])
      t.same(await store.groups.listGroupMembers('t1', [g.id]), new Map([[g.id, [{ value: u2.id, display: 'Second' }]]]))
      await store.groups.addGroupMembers('t1', g.id, [{ userId: u1.id, display: null }])
      t.same(await store.groups.removeGroupMembers('t1', g.id, { allBut: [u1.id] }), [u2.id])
      t.same(await store.groups.listGroupMembers('t1', [g.id]), new Map([[g.id, [{ value: u1.id, display: 'u1' }]]]))
      t.same(await store.groups.removeGroupMembers('t1', g.id, { allBut: [] }), [u1.id], 'allBut nothing: every member')
      t.same(await store.groups.listGroupMembers('t1', [g.id]), new Map())
    })

    t.test('transaction: its ports see its writes, which commit or roll back together', async (t) => {
      await twoTeams()
      const value = await store.transaction(async (tx) => {
        const c = await tx.accounts.createAccount({ email: 'c@x.io', displayName: null })
        t.same(await tx.accounts.findAccountByEmail('c@x.io'), c, 'seen inside')
        // A transaction begun inside one is the same one.
        await tx.transaction((inner) => inner.accounts.addMember('t1', c.id, 'admin'))
        return c.id
      })
      t.same(await store.accounts.findMembershipOfAccount(value), { teamId: 't1', role: 'admin' })
      await t.rejects(
        store.transaction(async (tx) => {
          await tx.accounts.createAccount({ email: 'd@x.io', displayName: null })
          await tx.accounts.createAccount({ email: 'D@x.io', displayName: null })
        }),
        new StoreConflict('accountEmail'),
        'a conflict inside leaves as a StoreConflict',
      )
      t.equal(await store.accounts.findAccountByEmail('d@x.io'), null, 'the first write rolled back with it')
    })

    t.test('every port method ran in this file', async (t) => {
      const listed = PORT_NAMES.flatMap((port) => Object.keys(PORT_METHODS[port]).map((method) => `${port}.${method}`)).sort()
      const implemented = PORT_NAMES.flatMap((port) => methodNames(db.store[port]).map((method) => `${port}.${method}`)).sort()
      t.same(implemented, listed, "the adapters' methods are the ports' (a new one is listed in PORT_METHODS)")
      t.same(
        implemented.filter((method) => !seen.has(method)),
        [],
        'no port method without a contract test here',
      )
      t.ok(seen.has('transaction'))
    })
  })
}
