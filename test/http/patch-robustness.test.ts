/**
 * Random and malformed PATCH bodies over HTTP, against a stored user on a real team: wrong types,
 * absurd and long paths, huge and deeply nested values, random op names, random JSON and text that
 * is not JSON. Whatever arrives, the answer is 2xx or 4xx (never 5xx), every 4xx is an RFC 7644
 * §3.12 error body, and a 4xx leaves the user (as GET returns it) and the team's members
 * byte-for-byte as they were. test/unit/patch-property.test.ts holds the same line for the pure engine.
 */
import fc from 'fast-check'
import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { admin, scim, scimTeam, testApp, type ScimTeam } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

/** Fixed seed and 300 runs in CI; PATCH_ROBUSTNESS_SEED and PATCH_ROBUSTNESS_RUNS for a longer local hunt. */
const SEED = Number(process.env.PATCH_ROBUSTNESS_SEED ?? 20_261_125)
const RUNS = Number(process.env.PATCH_ROBUSTNESS_RUNS ?? 300)
const ENT = URN.enterpriseUser

const baseline = {
  schemas: [URN.user, ENT],
  userName: 'robin@robust.example',
  externalId: 'robin-1',
  name: { givenName: 'Robin', familyName: 'Banks' },
  displayName: 'Robin Banks',
  title: 'Tester',
  active: true,
  emails: [
    { value: 'robin@robust.example', type: 'work', primary: true },
    { value: 'robin@home.example', type: 'home' },
  ],
  phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
  [ENT]: { employeeNumber: '7', department: 'QA', manager: { value: 'boss-1' } },
}

// --- arbitraries -------------------------------------------------------------------------------

const KNOWN_PATHS = [
  'userName',
  'active',
  'displayName',
  'title',
  'externalId',
  'password',
  'nickName',
  'name',
  'name.givenName',
  'name.formatted',
  'emails',
  'emails.value',
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[primary eq true].primary',
  'emails[value co "@"]',
  'emails[type eq "work" or type eq "home"]',
  'emails[not (type eq "work")]',
  'emails[type pr]',
  'phoneNumbers[type eq "mobile"].value',
  'addresses[type eq "work"].locality',
  'addresses',
  'roles',
  'entitlements',
  'x509Certificates',
  'photos[type eq "photo"].value',
  'groups',
  'groups.value',
  'id',
  'meta',
  'meta.version',
  'members',
  ENT,
  `${ENT}:manager`,
  `${ENT}:manager.value`,
  `${ENT}:manager.displayName`,
  `${ENT}:employeeNumber`,
  `${ENT}:nope`,
  `${URN.user}:userName`,
  `${URN.user}:name.familyName`,
  URN.user,
  'urn:scim:schemas:core:1.0:displayName',
  'urn:scim:schemas:extension:enterprise:1.0:department',
  'urn:x:y',
  'emails[type eq "work"].value.extra',
  'name[givenName eq "x"]',
  'emails[value eq "a"]]',
  'emails[[type eq "work"]]',
  '__proto__',
  'constructor',
  'emails[__proto__ eq 1]',
  'name.__proto__',
  '',
  ' ',
  '.',
  '[]',
  'emails[]',
  'emails[type eq]',
  '"quoted"',
]

const absurdPath = fc.oneof(
  fc.integer({ min: 100, max: 6000 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 2, max: 400 }).map((n) => `${'emails['.repeat(n)}type eq "work"${']'.repeat(n)}`),
  fc.integer({ min: 2, max: 400 }).map((n) => `${'a.'.repeat(n)}b`),
  fc.integer({ min: 2, max: 300 }).map((n) => `emails[${Array.from({ length: n }, (_, i) => `type eq "t${i}"`).join(' and ')}]`),
  fc.integer({ min: 2, max: 200 }).map((n) => `emails[${'('.repeat(n)}type eq "work"${')'.repeat(n)}]`),
  fc.integer({ min: 2, max: 200 }).map((n) => `emails[${'not ('.repeat(n)}type eq "work"${')'.repeat(n)}]`),
)

const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN_PATHS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: absurdPath },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 1 })),
  },
)

const opName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('add', 'replace', 'remove', 'Add', 'Replace', 'Remove', 'REPLACE', ' add ') },
  { weight: 1, arbitrary: fc.constantFrom('delete', 'copy', 'move', 'test', '', 'merge', '__proto__') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 })) },
)

/**
 * A big value built only when serialised (toJSON), and named in fast-check's reports by its recipe:
 * printing a 5000-level counterexample would overflow the stack before the failure is shown.
 */
class Lazy {
  constructor(
    private readonly label: string,
    private readonly build: () => unknown,
  ) {}
  toJSON(): unknown {
    return this.build()
  }
  [fc.toStringMethod](): string {
    return this.label
  }
}

/** [[[...]]] or {"value": {"value": ...}} n levels deep (JSON.stringify's own recursion bounds n; rawText goes deeper). */
const deep = fc.tuple(fc.integer({ min: 5, max: 1000 }), fc.boolean()).map(
  ([depth, asList]) =>
    new Lazy(`${asList ? 'list' : 'object'} nested ${depth} deep`, () => {
      let value: unknown = 'bottom'
      for (let i = 0; i < depth; i++) value = asList ? [value] : { value }
      return value
    }),
)

const scalar = fc.oneof(
  fc.boolean(),
  fc.constantFrom('True', 'False', 'true', 'false', 'yes', '', ' ', 'null', '{"givenName":"J"}', '{not json', '[1,2]'),
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constant(null),
)

const huge = fc.oneof(
  fc.integer({ min: 60_000, max: 120_000 }).map((n) => new Lazy(`a string of ${n} characters`, () => 'x'.repeat(n))),
  fc
    .integer({ min: 101, max: 400 })
    .map((n) => new Lazy(`${n} emails`, () => Array.from({ length: n }, (_, i) => ({ value: `e${i}@robust.example`, type: 'other' })))),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => new Lazy(`a list of ${n} numbers`, () => Array.from({ length: n }, (_, i) => i))),
  fc
    .integer({ min: 500, max: 3_000 })
    .map((n) => new Lazy(`an object of ${n} members`, () => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])))),
)

const multiValue = fc.array(
  fc.record(
    {
      value: fc.oneof(scalar, fc.constantFrom('robin@robust.example', 'ROBIN@ROBUST.EXAMPLE', 'other@robust.example')),
      type: fc.oneof(fc.constantFrom('work', 'home', 'other'), scalar),
      primary: fc.oneof(fc.boolean(), scalar),
      display: scalar,
      bogus: scalar,
    },
    { requiredKeys: [] },
  ),
  { maxLength: 5 },
)

const attributeName = fc.oneof(
  fc.constantFrom(
    'userName',
    'active',
    'displayName',
    'title',
    'name',
    'name.givenName',
    'emails',
    'emails[type eq "work"].value',
    'emails[type eq',
    'groups',
    'id',
    'meta',
    'schemas',
    'password',
    ENT,
    `${ENT}:manager`,
    `${ENT}:department`,
    'urn:scim:schemas:core:1.0:title',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'members',
    'Operations',
  ),
  fc.string({ maxLength: 20 }),
)

const attributeObject = fc.dictionary(attributeName, fc.oneof(scalar, multiValue, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 6 })

const value = fc.oneof(
  { weight: 3, arbitrary: scalar },
  { weight: 2, arbitrary: multiValue },
  { weight: 3, arbitrary: attributeObject },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: huge },
)

/** Operations a real client could send, with values of the right type: most of them apply. */
const word = fc.string({ minLength: 1, maxLength: 12 }).filter((w) => w.trim() !== '')
// owner@robust.example is the Owner's account: taking it is a 409 that must roll the whole request back.
const email = fc.constantFrom(
  'robin@robust.example',
  'ROBIN@robust.example',
  'robin.b@robust.example',
  'r@home.example',
  'owner@robust.example',
)
const setOp = fc.constantFrom('add', 'replace', 'Add', 'Replace')
const typedOperation = fc.oneof(
  fc.record({
    op: setOp,
    path: fc.constantFrom('displayName', 'title', 'nickName', 'name.givenName', 'externalId', `${ENT}:department`),
    value: word,
  }),
  fc.record({ op: setOp, path: fc.constant('active'), value: fc.constantFrom(true, false, 'True', 'False') }),
  fc.record({ op: setOp, path: fc.constantFrom('emails[type eq "work"].value', 'emails[type eq "other"].value'), value: email }),
  fc.record({
    op: setOp,
    path: fc.constant('emails'),
    value: fc.array(fc.record({ value: email, type: fc.constantFrom('work', 'home', 'other') }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ op: setOp, path: fc.constantFrom(`${ENT}:manager`, `${ENT}:manager.value`), value: fc.constantFrom('boss-2', '') }),
  fc.record({
    op: setOp,
    value: fc.record({ displayName: word, title: word, active: fc.boolean(), 'name.familyName': word }, { requiredKeys: [] }),
  }),
  fc.record({
    op: fc.constantFrom('remove', 'Remove'),
    path: fc.constantFrom('title', 'nickName', 'emails[type eq "home"]', `${ENT}:manager`, 'phoneNumbers', 'userName', 'groups'),
  }),
)

const operation = fc.oneof(
  { weight: 8, arbitrary: typedOperation },
  { weight: 6, arbitrary: fc.record({ op: opName, path, value }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.record({ OP: opName, Path: path, VALUE: value }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.oneof(scalar, fc.jsonValue({ maxDepth: 3 })) },
)

const schemas = fc.oneof(
  fc.constant([URN.patchOp]),
  fc.constant(undefined),
  fc.constantFrom([URN.patchOp.toUpperCase()], [URN.user], [], 'x', null, [URN.patchOp, 42]),
  fc.jsonValue({ maxDepth: 2 }),
)

/** What goes on the wire: a JSON value, or raw text (not JSON, truncated JSON, oversized). */
type Payload = { json: unknown } | { raw: string | Lazy }

const rawText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    '{',
    '{"Operations": [',
    'null',
    '"text"',
    '{"Operations": [{"op": "add", "path": "title", "value": "x"}]',
    '{"__proto__": {"polluted": 1}, "Operations": []}',
  ),
  fc.tuple(fc.integer({ min: 1_000, max: 200_000 }), fc.constantFrom('[]', '{}')).map(([depth, [open, close]]) => {
    const nested = open === '[' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    return new Lazy(
      `a value nested ${depth} deep in ${open}${close}`,
      () => `{"Operations":[{"op":"replace","path":"title","value":${nested}}]}`,
    )
  }),
)

const payload: fc.Arbitrary<Payload> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ schemas: fc.constant([URN.patchOp]), Operations: fc.array(typedOperation, { minLength: 1, maxLength: 4 }) })
      .map((json) => ({ json })),
  },
  {
    weight: 12,
    arbitrary: fc
      .record({ schemas, Operations: fc.array(operation, { maxLength: 6 }) }, { requiredKeys: ['Operations'] })
      .map((json) => ({ json })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ schemas, operations: fc.oneof(fc.array(operation, { maxLength: 3 }), scalar, attributeObject) })
      .map((json) => ({ json })),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((json) => ({ json })) },
  {
    weight: 1,
    arbitrary: fc.record({ schemas, Operations: fc.array(operation, { minLength: 1001, maxLength: 1001 }) }).map((json) => ({
      json: new Lazy('1001 random operations (the limit is 1000)', () => json),
    })),
  },
  { weight: 1, arbitrary: rawText.map((raw) => ({ raw })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1_100_000, max: 1_300_000 }).map((n) => ({
      json: new Lazy(`a body over 1 MiB (${n} characters of title)`, () => ({
        Operations: [{ op: 'add', path: 'title', value: 'y'.repeat(n) }],
      })),
    })),
  },
)

// --- the property ------------------------------------------------------------------------------

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    const team: ScimTeam = await scimTeam(app, 'robust')
    const created = await scim(app, team, 'POST', '/Users', baseline)
    t.equal(created.statusCode, 201, 'the user PATCHed below')
    const id = created.json().id as string

    const state = async () => {
      const user = await scim(app, team, 'GET', `/Users/${id}`)
      const members = await admin(app, 'GET', `/teams/${team.teamId}/members`)
      return { user: `${user.statusCode} ${user.body}`, members: `${members.statusCode} ${members.body}` }
    }
    const restore = async () => {
      const res = await scim(app, team, 'PUT', `/Users/${id}`, baseline)
      if (res.statusCode !== 200) throw new Error(`restoring the baseline user failed: ${res.statusCode} ${res.body}`)
    }
    const send = (body: Payload) =>
      app.inject({
        method: 'PATCH',
        url: `${team.base}/Users/${id}`,
        headers: { authorization: `Bearer ${team.token}`, 'content-type': 'application/scim+json' },
        payload:
          'raw' in body ? String(typeof body.raw === 'string' ? body.raw : body.raw.toJSON()) : (JSON.stringify(body.json) ?? 'null'),
      })

    let before = await state()
    const outcomes = { ok: 0, rejected: 0, statuses: new Map<number, number>() }
    await fc.assert(
      fc.asyncProperty(payload, async (body) => {
        const res = await send(body)
        outcomes.statuses.set(res.statusCode, (outcomes.statuses.get(res.statusCode) ?? 0) + 1)
        if (res.statusCode >= 500 || res.statusCode < 200 || (res.statusCode >= 300 && res.statusCode < 400)) {
          throw new Error(`status ${res.statusCode}: ${res.body.slice(0, 500)}`)
        }
        if (res.statusCode < 300) {
          outcomes.ok++
          if (res.json().id !== id) throw new Error(`a 2xx PATCH must return the user: ${res.body.slice(0, 300)}`)
          await restore()
          before = await state()
          return
        }
        outcomes.rejected++
        const error = res.json<Record<string, unknown>>()
        if (!Array.isArray(error.schemas) || !error.schemas.includes(URN.error))
          throw new Error(`not a SCIM error body: ${res.body.slice(0, 300)}`)
        if (error.status !== String(res.statusCode)) throw new Error(`"status" must be the status as a string: ${res.body.slice(0, 300)}`)
        if (typeof error.detail !== 'string') throw new Error(`"detail" must be a string: ${res.body.slice(0, 300)}`)
        const after = await state()
        if (after.user !== before.user) throw new Error(`a ${res.statusCode} changed the user:\n${before.user}\n${after.user}`)
        if (after.members !== before.members) throw new Error(`a ${res.statusCode} changed the team:\n${before.members}\n${after.members}`)
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    )
    t.ok(
      outcomes.ok > RUNS / 10 && outcomes.rejected > RUNS / 10,
      `both accepted (${outcomes.ok}) and rejected (${outcomes.rejected}) requests were exercised`,
    )
    t.comment(`statuses: ${JSON.stringify([...outcomes.statuses].sort(([a], [b]) => a - b))}`)
    t.pass(`${RUNS} random PATCH bodies: never 5xx, every 4xx a SCIM error that changed nothing`)
  })
}
