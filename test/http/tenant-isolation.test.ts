/**
 * A Compound account is shared by every team it has been on, but belongs to one team at a time. A
 * team's SCIM writes change the account only while it is a member of that team; SCIM never changes
 * the Owner's sign-in email; and no answer tells a team whether an email has an account outside it
 * beyond the one rule Compound states (POST of another team's member is 409).
 */
import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { admin, scim, scimTeam, testApp, type ScimTeam } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

const user = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [URN.user],
  userName,
  displayName: 'Alice Example',
  emails: [{ value: userName, type: 'work', primary: true }],
  active: true,
  ...extra,
})
const patch = (...Operations: unknown[]) => ({ schemas: [URN.patchOp], Operations })

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    let a: ScimTeam
    let b: ScimTeam
    t.beforeEach(async () => {
      await db.reset()
      a = await scimTeam(app, 'ta')
      b = await scimTeam(app, 'tb')
    })
    const account = async (email: string) =>
      (
        await db.rows<{ id: string; email: string; display_name: string | null; updated_at: Date }>(
          `select id, email, display_name, updated_at from accounts where lower(email) = lower('${email}')`,
        )
      )[0]
    const accountById = async (id: string) =>
      (await db.rows(`select id, email, display_name, updated_at from accounts where id = '${id}'`))[0]
    const membership = async (accountId: string) => db.rows(`select team_id, role from team_memberships where account_id = '${accountId}'`)
    const events = async (teamId: string) =>
      db.rows(`select action, outcome, resource_id from audit_events where team_id = '${teamId}' order by id`)
    const everything = async () => ({
      accounts: await db.rows('select * from accounts order by id'),
      memberships: await db.rows('select * from team_memberships order by account_id'),
      users: await db.rows('select team_id, id, user_name, active, account_id, doc, version from scim_users order by id'),
      groups: await db.rows('select * from scim_group_members order by user_id'),
    })

    /** Team A provisions Alice, then unassigns her; team B provisions the same person: one account, now B's. */
    const movedToB = async () => {
      const inA = (await scim(app, a, 'POST', '/Users', user('alice@x.example'))).json()
      t.equal((await scim(app, a, 'PATCH', `/Users/${inA.id}`, patch({ op: 'replace', value: { active: false } }))).statusCode, 200)
      const inB = await scim(app, b, 'POST', '/Users', user('alice@x.example', { displayName: 'Alice of B' }))
      t.equal(inB.statusCode, 201, 'B provisions the person A let go')
      t.equal(inB.json().id === inA.id, false)
      const shared = (await account('alice@x.example'))!
      t.same(await membership(shared.id), [{ team_id: 'tb', role: 'member' }])
      return { inA, shared, bEvents: await events('tb') }
    }

    t.test('team A writes to its inactive user change only its own SCIM user, never B’s member account', async (t) => {
      const { inA, shared, bEvents } = await movedToB()

      const patched = await scim(
        app,
        a,
        'PATCH',
        `/Users/${inA.id}`,
        patch(
          { op: 'replace', path: 'displayName', value: 'Mallory' },
          { op: 'replace', path: 'emails', value: [{ value: 'mallory@evil.example', primary: true }] },
        ),
      )
      t.equal(patched.statusCode, 200, 'A may edit its own SCIM user')
      t.equal(patched.json().displayName, 'Mallory')
      t.equal(patched.json().emails[0].value, 'mallory@evil.example')

      const put = await scim(
        app,
        a,
        'PUT',
        `/Users/${inA.id}`,
        user('alice@x.example', { displayName: 'Mallory 2', emails: [{ value: 'other@evil.example' }], active: undefined }),
      )
      t.equal(put.statusCode, 200)
      t.equal(put.json().displayName, 'Mallory 2')
      t.equal(put.json().active, false, 'a PUT without active keeps it')

      // Group writes name the user as a member; they render the SCIM user, not the account.
      const group = await scim(app, a, 'POST', '/Groups', { schemas: [URN.group], displayName: 'Staff', members: [{ value: inA.id }] })
      t.equal(group.statusCode, 201)
      const groupPatch = await scim(
        app,
        a,
        'PATCH',
        `/Groups/${group.json().id}`,
        patch({ op: 'add', path: 'members', value: [{ value: inA.id, display: 'Mallory' }] }),
      )
      t.ok([200, 204].includes(groupPatch.statusCode), 'group PATCH accepted')
      const groupGet = (await scim(app, a, 'GET', `/Groups/${group.json().id}`)).json()
      t.notOk(JSON.stringify(groupGet).includes('Alice of B'), 'the group shows nothing of B’s account')

      // Reactivation by POST (Okta's reassign) and by PATCH: 409, the rule Compound states.
      const repost = await scim(app, a, 'POST', '/Users', user('alice@x.example', { displayName: 'Mallory 3' }))
      t.equal(repost.statusCode, 409)
      t.equal(repost.json().detail, 'User is already a member of a different team')
      const reactivate = await scim(
        app,
        a,
        'PATCH',
        `/Users/${inA.id}`,
        patch({ op: 'replace', path: 'displayName', value: 'Mallory 4' }, { op: 'replace', path: 'active', value: true }),
      )
      t.equal(reactivate.statusCode, 409)
      const rePut = await scim(app, a, 'PUT', `/Users/${inA.id}`, user('alice@x.example', { displayName: 'Mallory 5', active: true }))
      t.equal(rePut.statusCode, 409)

      t.same(await accountById(shared.id), shared, 'B’s member account is exactly as B left it (email, name, updated_at)')
      t.same(await membership(shared.id), [{ team_id: 'tb', role: 'member' }], 'still B’s member')
      t.same(await events('tb'), bEvents, 'nothing happened in B')
      t.equal((await scim(app, b, 'GET', `/Users?filter=userName eq "alice@x.example"`)).json().Resources[0].displayName, 'Alice of B')
    })

    t.test('creating an inactive user for another team’s member leaves that account alone', async (t) => {
      const inB = await scim(app, b, 'POST', '/Users', user('bob@x.example', { displayName: 'Bob of B' }))
      t.equal(inB.statusCode, 201)
      const before = await account('bob@x.example')
      // OneLogin and Ping create users inactive; A's IdP names the same email with another name.
      const inactive = await scim(app, a, 'POST', '/Users', user('bob@x.example', { displayName: 'Not Bob', active: false }))
      t.equal(inactive.statusCode, 201)
      t.equal(inactive.json().displayName, 'Not Bob')
      t.same(await account('bob@x.example'), before, 'the account keeps B’s name')
      t.same(await membership(before!.id), [{ team_id: 'tb', role: 'member' }])
      // Activating it is the POST rule: 409, nothing changed.
      const activate = await scim(app, a, 'PATCH', `/Users/${inactive.json().id}`, patch({ op: 'replace', path: 'active', value: true }))
      t.equal(activate.statusCode, 409)
      t.same(await account('bob@x.example'), before)
    })

    t.test('an email change answers the same whether or not another account holds the address', async (t) => {
      const carol = (await scim(app, a, 'POST', '/Users', user('carol@x.example'))).json()
      const carolAccount = (await account('carol@x.example'))!
      // An account on no team (B let Dan go) and a member of B (Erin).
      const dan = (await scim(app, b, 'POST', '/Users', user('dan@x.example', { displayName: 'Dan' }))).json()
      await scim(app, b, 'PATCH', `/Users/${dan.id}`, patch({ op: 'replace', value: { active: false } }))
      await scim(app, b, 'POST', '/Users', user('erin@x.example', { displayName: 'Erin' }))
      const others = { dan: await account('dan@x.example'), erin: await account('erin@x.example') }

      const answers: Record<string, { status: number; keys: string[]; email: string }> = {}
      for (const target of ['dan@x.example', 'erin@x.example', 'nobody-yet@x.example']) {
        const res = await scim(
          app,
          a,
          'PATCH',
          `/Users/${carol.id}`,
          patch({ op: 'replace', path: 'emails', value: [{ value: target, type: 'work', primary: true }] }),
        )
        const body = res.json()
        answers[target] = { status: res.statusCode, keys: Object.keys(body).sort(), email: body.emails?.[0]?.value }
        t.equal(body.emails?.[0]?.value, target, `the SCIM user holds ${target} as sent`)
      }
      t.equal(answers['dan@x.example']!.status, 200, 'an account on no team: 200')
      t.equal(answers['erin@x.example']!.status, 200, 'a member of another team: 200')
      t.equal(answers['nobody-yet@x.example']!.status, 200, 'an unknown email: 200')
      t.same(answers['dan@x.example']!.keys, answers['nobody-yet@x.example']!.keys, 'the same shape of answer')
      t.same(answers['erin@x.example']!.keys, answers['nobody-yet@x.example']!.keys)

      t.same({ dan: await account('dan@x.example'), erin: await account('erin@x.example') }, others, 'the other accounts are untouched')
      t.equal(
        ((await accountById(carolAccount.id)) as { email: string }).email,
        'nobody-yet@x.example',
        'a free address reaches Carol’s account',
      )
      t.same(await membership(carolAccount.id), [{ team_id: 'ta', role: 'member' }])
      const log = (await admin(app, 'GET', '/teams/ta/scim/events?limit=3', { actor: a.ownerAccountId })).json().events
      t.same(
        log.map((e: { detail: string }) => e.detail),
        [
          'carol@x.example',
          'carol@x.example (account email kept: the address belongs to another Compound account)',
          'carol@x.example (account email kept: the address belongs to another Compound account)',
        ],
        'the audit log says when the account kept its email (as the members list would show)',
      )
    })

    t.test('an email another member of the same team holds is 409: the team knows its own members', async (t) => {
      // An IdP swapping two members' emails one PATCH at a time must not split SCIM users from accounts.
      const one = (await scim(app, a, 'POST', '/Users', user('one@x.example'))).json()
      await scim(app, a, 'POST', '/Users', user('two@x.example'))
      const before = await everything()
      const swap = await scim(
        app,
        a,
        'PATCH',
        `/Users/${one.id}`,
        patch({ op: 'replace', path: 'emails', value: [{ value: 'TWO@x.example', primary: true }] }),
      )
      t.equal(swap.statusCode, 409)
      t.equal(swap.json().scimType, 'uniqueness')
      t.equal(swap.json().detail, 'Another member of this team has this email')
      t.same(await everything(), before, 'nothing changed')
    })

    t.test('a user being deactivated does not write its profile to an account another user still holds', async (t) => {
      // Entra does not keep mail unique: two SCIM users for one account, the second keeps it on the team.
      const first = (await scim(app, a, 'POST', '/Users', user('pat@x.example', { displayName: 'Pat' }))).json()
      await scim(app, a, 'POST', '/Users', user('pat-2', { displayName: 'Pat', emails: [{ value: 'pat@x.example', primary: true }] }))
      const off = await scim(
        app,
        a,
        'PATCH',
        `/Users/${first.id}`,
        patch({ op: 'replace', value: { active: false, displayName: 'Leaving Pat' } }),
      )
      t.equal(off.statusCode, 200)
      t.equal((await account('pat@x.example'))!.display_name, 'Pat', 'the account keeps the profile of the user that still stands for it')
      t.same(await membership((await account('pat@x.example'))!.id), [{ team_id: 'ta', role: 'member' }])
    })

    t.test('SCIM never changes the Owner’s email: 403 with the reason, an audit entry, nothing changed', async (t) => {
      const owner = (await scim(app, a, 'POST', '/Users', user(a.ownerEmail))).json()
      const before = await everything()
      const attempts = {
        'PATCH userName': await scim(
          app,
          a,
          'PATCH',
          `/Users/${owner.id}`,
          patch({ op: 'replace', path: 'userName', value: 'takeover@evil.example' }, { op: 'remove', path: 'emails' }),
        ),
        'PATCH emails': await scim(
          app,
          a,
          'PATCH',
          `/Users/${owner.id}`,
          patch({ op: 'replace', path: 'emails[type eq "work"].value', value: 'takeover@evil.example' }),
        ),
        PUT: await scim(app, a, 'PUT', `/Users/${owner.id}`, user('takeover@evil.example')),
      }
      for (const [what, res] of Object.entries(attempts)) {
        t.equal(res.statusCode, 403, what)
        t.equal(res.json().schemas[0], URN.error)
        t.match(res.json().detail, /Owner's email .* cannot be changed through SCIM/, `${what}: the detail says why`)
      }
      t.same(await everything(), before, 'nothing changed')
      const log = (await admin(app, 'GET', '/teams/ta/scim/events?limit=3', { actor: a.ownerAccountId })).json().events
      t.same(
        log.map((e: { action: string; outcome: string; resourceId: string }) => [e.action, e.outcome, e.resourceId]),
        [
          ['user.replace', 'rejected:403', owner.id],
          ['user.patch', 'rejected:403', owner.id],
          ['user.patch', 'rejected:403', owner.id],
        ],
        'each refusal is in the audit log',
      )

      // What stays allowed: a new display name, and a userName change that leaves the email as it is.
      const renamed = await scim(
        app,
        a,
        'PATCH',
        `/Users/${owner.id}`,
        patch({ op: 'replace', path: 'displayName', value: 'Olive the Owner' }),
      )
      t.equal(renamed.statusCode, 200)
      const newUserName = await scim(app, a, 'PATCH', `/Users/${owner.id}`, patch({ op: 'replace', path: 'userName', value: 'olive' }))
      t.equal(newUserName.statusCode, 200, 'the primary email still names the Owner account')
      const ownerAccount = (await account(a.ownerEmail))!
      t.equal(ownerAccount.email, a.ownerEmail)
      t.equal(ownerAccount.display_name, 'Olive the Owner')
    })

    t.test('a cursor one endpoint issued is refused on another (RFC 9865 invalidCursor)', async (t) => {
      for (const [who, n] of [
        [a, 3],
        [b, 3],
      ] as const) {
        for (let i = 0; i < n; i++) await scim(app, who, 'POST', '/Users', user(`p${i}@${who.teamId}.example`))
      }
      for (const path of ['/Users', '/Groups']) {
        if (path === '/Groups') {
          for (const who of [a, b])
            for (const name of ['G1', 'G2']) await scim(app, who, 'POST', '/Groups', { schemas: [URN.group], displayName: name })
        }
        const first = (await scim(app, a, 'GET', `${path}?cursor=&count=1`)).json()
        t.type(first.nextCursor, 'string', `${path}: team A gets a next cursor`)
        t.equal(
          (await scim(app, a, 'GET', `${path}?cursor=${encodeURIComponent(first.nextCursor)}&count=1`)).statusCode,
          200,
          'A pages on with it',
        )
        const replayed = await scim(app, b, 'GET', `${path}?cursor=${encodeURIComponent(first.nextCursor)}&count=1`)
        t.equal(replayed.statusCode, 400, `${path}: team B cannot use A's cursor`)
        t.equal(replayed.json().scimType, 'invalidCursor')
        const searched = await scim(app, b, 'POST', `${path}/.search`, { schemas: [URN.searchRequest], cursor: first.nextCursor, count: 1 })
        t.equal(searched.statusCode, 400, `${path}/.search: nor through a SearchRequest`)
      }
    })

    t.test(
      'control characters in what names the account, and bidi controls in emails and userNames, are 400 invalidValue and change nothing',
      async (t) => {
        const ada = (await scim(app, a, 'POST', '/Users', user('ada@x.example'))).json()
        const before = await everything()
        const controls = [
          await scim(
            app,
            a,
            'POST',
            '/Users',
            user('ctrl@b.example', { emails: [{ value: 'ctrl\u0001\u001b[31m@b.example', primary: true }] }),
          ),
          await scim(app, a, 'POST', '/Users', user('esc\u001b[2J@b.example')),
          await scim(app, a, 'POST', '/Users', user('del\u007f@b.example')),
          await scim(app, a, 'POST', '/Users', user('c1\u0085@b.example')),
          await scim(
            app,
            a,
            'PATCH',
            `/Users/${ada.id}`,
            patch({ op: 'replace', path: 'emails', value: [{ value: 'x\u0007@b.example' }] }),
          ),
          await scim(app, a, 'PATCH', `/Users/${ada.id}`, patch({ op: 'replace', path: 'userName', value: 'tab\there@b.example' })),
          await scim(app, a, 'PUT', `/Users/${ada.id}`, user('ada@x.example', { emails: [{ value: 'ada\r\n@x.example' }] })),
          // The account's display name comes from displayName, else name.formatted, else the given and family names (account-profile.ts).
          await scim(app, a, 'POST', '/Users', user('evil@b.example', { displayName: '\u001b[2J\u001b[31mEvil\u0007' })),
          await scim(
            app,
            a,
            'POST',
            '/Users',
            user('formatted@b.example', { displayName: undefined, name: { formatted: 'Eve\u001b[8m' } }),
          ),
          await scim(app, a, 'POST', '/Users', user('given@b.example', { name: { givenName: 'Eve\u0085', familyName: 'Smith' } })),
          await scim(app, a, 'PUT', `/Users/${ada.id}`, user('ada@x.example', { name: { familyName: 'Lovelace\r\nAdmin' } })),
          await scim(app, a, 'PATCH', `/Users/${ada.id}`, patch({ op: 'replace', path: 'displayName', value: 'Ada\u0007' })),
          await scim(app, a, 'PATCH', `/Users/${ada.id}`, patch({ op: 'replace', value: { 'name.givenName': 'Ada\u001b[0m' } })),
        ]
        // U+202E reverses what follows ("admin\u202e@x.example" reads as an address it is not); so do the isolates and marks.
        const bidi = [
          await scim(app, a, 'POST', '/Users', user('bidi@b.example', { emails: [{ value: 'admin\u202e@x.example', primary: true }] })),
          await scim(app, a, 'POST', '/Users', user('\u2066admin\u2069@b.example')),
          await scim(app, a, 'PATCH', `/Users/${ada.id}`, patch({ op: 'replace', path: 'userName', value: 'ada\u200f@x.example' })),
          await scim(
            app,
            a,
            'PATCH',
            `/Users/${ada.id}`,
            patch({ op: 'add', path: 'emails', value: [{ value: '\u202aada@x.example', type: 'home' }] }),
          ),
        ]
        for (const [res, detail] of [
          ...controls.map((r) => [r, /control characters/] as const),
          ...bidi.map((r) => [r, /bidirectional formatting characters/] as const),
        ]) {
          t.equal(res.statusCode, 400, res.body)
          t.equal(res.json().scimType, 'invalidValue')
          t.match(res.json().detail, detail)
        }
        t.same(await everything(), before, 'nothing changed')
        // Other text keeps its characters (RFC 7643: addresses.formatted may hold newlines), and a display
        // name its bidi marks: a Hebrew name written next to Latin text may need one.
        const address = await scim(
          app,
          a,
          'PATCH',
          `/Users/${ada.id}`,
          patch({ op: 'add', path: 'addresses', value: [{ formatted: '1 Main St\nSpringfield', type: 'work' }] }),
        )
        t.equal(address.statusCode, 200)
        const hebrew = await scim(
          app,
          a,
          'PATCH',
          `/Users/${ada.id}`,
          patch({ op: 'replace', path: 'displayName', value: 'עדה\u200f Lovelace' }),
        )
        t.equal(hebrew.statusCode, 200)
        t.equal((await account('ada@x.example'))!.display_name, 'עדה\u200f Lovelace')
      },
    )
  })
}
