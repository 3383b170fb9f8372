/**
 * Random and malformed PATCH bodies: whatever a client sends, parsePatchRequest + applyPatch +
 * normalizeResource either succeed or throw a 400 ScimError, and never touch the stored resource.
 * applyPatch checks only the values each operation writes; that it refuses all normalizeResource
 * would refuse (so the error names the operation) is held here on every generated body.
 */
import fc from 'fast-check'
import { t } from '../helpers/file-test.js'
import { normalizeResource } from '../../src/scim/core/resource-input.js'
import { URN } from '../../src/scim/core/schemas.js'
import { renderUser, userView } from '../../src/scim/core/user-resource.js'
import { applyPatch, parsePatchRequest } from '../../src/scim/patch/index.js'
import { ScimError } from '../../src/scim/protocol/scim-error.js'

const ENT = URN.enterpriseUser
const SEED = 20_240_601

function user(): Record<string, unknown> {
  return renderUser(
    {
      id: '2819c223-7f76-453a-919d-413861904646',
      version: 7,
      created: new Date('2024-01-01T10:00:00Z'),
      lastModified: new Date('2024-06-01T10:00:00Z'),
      doc: {
        externalId: 'bjensen',
        userName: 'bjensen@example.com',
        name: { givenName: 'Barbara', familyName: 'Jensen' },
        displayName: 'Babs',
        active: true,
        emails: [
          { value: 'bjensen@example.com', type: 'work', primary: true },
          { value: 'babs@jensen.org', type: 'home' },
        ],
        addresses: [{ streetAddress: '100 Universal City Plaza', type: 'work' }],
        [ENT]: { department: 'Tours', manager: { value: 'boss-1', displayName: 'Bo' } },
      },
    },
    'https://scim.example.test/scim/v2/ep/Users/2819c223-7f76-453a-919d-413861904646',
  )
}

/** Iterative, so the 20 000-level values below can be frozen too. */
function deepFreeze(value: unknown): void {
  const stack = [value]
  while (stack.length > 0) {
    const current = stack.pop()
    if (typeof current !== 'object' || current === null || Object.isFrozen(current)) continue
    Object.freeze(current)
    stack.push(...Object.values(current))
  }
}

const PATHS = [
  'displayName',
  'DisplayName',
  'userName',
  'name',
  'name.givenName',
  'name.bogus',
  'active',
  'password',
  'title',
  'emails',
  'emails.value',
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[type eq "work"].primary',
  'emails[value co "@"]',
  'emails[type ne "home"].value',
  'emails[primary eq true]',
  'emails[bogus eq 1]',
  'emails[type eq 5]',
  'phoneNumbers[type eq "mobile"].value',
  'addresses[type eq "work" and country eq "US"].locality',
  'addresses',
  'x509Certificates',
  'roles[primary eq true].value',
  'groups',
  'groups[value eq "g"]',
  'id',
  'meta',
  'meta.created',
  'externalId',
  ENT,
  ENT.toUpperCase(),
  `${ENT}:department`,
  `${ENT}:manager`,
  `${ENT}:manager.value`,
  `${ENT}:manager.displayName`,
  URN.user,
  `${URN.user}:userName`,
  'urn:scim:schemas:core:1.0:displayName',
  'urn:scim:schemas:extension:enterprise:1.0:manager',
  'urn:example:unknown:1.0:User:x',
  'displayName[value eq "x"]',
  'emails[type eq',
  'emails[type eq "work"]].value',
  '',
  ' ',
  'schemas',
  '__proto__',
  'constructor',
  'emails[type eq "work"].__proto__',
]

function nested(depth: number, asArray: boolean): unknown {
  let value: unknown = 'leaf'
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { value }
  return value
}

const leaf = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    'True',
    'False',
    'true',
    '',
    null,
    5,
    -0,
    true,
    '{"givenName":"A"}',
    '{"value":"boss-2"}',
    '["x"]',
    '{',
    '{"value":{"value":{}}}',
  ),
  fc.string({ maxLength: 20 }),
  fc.integer({ min: 1, max: 20_000 }).chain((depth) => fc.boolean().map((asArray) => nested(depth, asArray))),
  fc.integer({ min: 60_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc
    .integer({ min: 0, max: 300 })
    .map((n) =>
      Array.from({ length: n }, (_, i) => ({ value: `e${i % 50}@example.com`, type: i % 3 ? 'work' : 'home', primary: i % 7 === 0 })),
    ),
)

const element = fc.record(
  {
    value: leaf,
    type: fc.constantFrom('work', 'home', 'Work', 'other', 5),
    primary: fc.constantFrom(true, false, 'True', 'False', 'yes'),
    display: leaf,
  },
  { requiredKeys: [] },
)

const value = fc.oneof(
  leaf,
  element,
  fc.array(fc.oneof(element, leaf), { maxLength: 5 }),
  fc.dictionary(
    fc.oneof(fc.constantFrom(...PATHS), fc.string({ maxLength: 12 })),
    fc.oneof(leaf, element, fc.array(element, { maxLength: 3 })),
    { maxKeys: 5 },
  ),
  fc.record({
    [ENT]: fc.dictionary(fc.constantFrom('department', 'manager', 'Manager', 'manager.value', 'costCenter', 'bogus'), leaf, { maxKeys: 3 }),
  }),
)

const operation = fc.record(
  {
    op: fc.oneof(fc.constantFrom('add', 'Add', 'replace', 'Replace', 'remove', 'REMOVE', 'move', ''), fc.anything()),
    path: fc.oneof(fc.constantFrom(...PATHS), fc.string({ maxLength: 30 }), fc.anything({ maxDepth: 1 })),
    value,
  },
  { requiredKeys: [] },
)

const body = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ schemas: fc.constant([URN.patchOp]), Operations: fc.array(operation, { minLength: 1, maxLength: 6 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        schemas: fc.oneof(fc.constant([URN.patchOp.toLowerCase()]), fc.anything({ maxDepth: 1 })),
        operations: fc.oneof(fc.array(operation, { maxLength: 3 }), fc.anything({ maxDepth: 2 })),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.anything() },
)

const VALID_PATHS = [
  'displayName',
  'title',
  'active',
  'name',
  'name.givenName',
  'emails',
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[type eq "home"].primary',
  'emails[value ew "example.com"]',
  'phoneNumbers',
  'phoneNumbers[type eq "mobile"].value',
  'addresses[type eq "work"].locality',
  ENT,
  `${ENT}:department`,
  `${ENT}:manager`,
  `${ENT}:manager.value`,
  'nickName',
  'unknownThing',
]

const plausibleValue = fc.oneof(
  fc.constantFrom('True', 'False', true, false, null, '', 'x', 'Work', '{"givenName":"A"}', '{"value":"boss-2"}'),
  fc.string({ maxLength: 8 }),
  fc.record(
    { value: fc.string({ maxLength: 8 }), type: fc.constantFrom('work', 'home', 'mobile'), primary: fc.constantFrom(true, false, 'True') },
    { requiredKeys: ['value'] },
  ),
  fc.array(
    fc.record(
      { value: fc.string({ maxLength: 8 }), type: fc.constantFrom('work', 'home'), primary: fc.constantFrom(true, false, 'True') },
      { requiredKeys: ['value'] },
    ),
    { maxLength: 4 },
  ),
  fc.record(
    {
      givenName: fc.string({ maxLength: 8 }),
      locality: fc.string({ maxLength: 8 }),
      department: fc.string({ maxLength: 8 }),
      value: fc.string({ maxLength: 8 }),
    },
    { requiredKeys: [] },
  ),
)

const plausibleOperation = fc.oneof(
  fc.record({ op: fc.constantFrom('add', 'Replace', 'remove'), path: fc.constantFrom(...VALID_PATHS), value: plausibleValue }),
  fc.record({
    op: fc.constantFrom('Add', 'replace'),
    value: fc.dictionary(fc.constantFrom(...VALID_PATHS.filter((p) => p !== 'name')), plausibleValue, { maxKeys: 3 }),
  }),
)

t.test('plausible PATCH bodies: only 400 ScimErrors, at most one primary, never a mutated resource', async (t) => {
  let applied = 0
  fc.assert(
    fc.property(fc.array(plausibleOperation, { minLength: 1, maxLength: 3 }), (operations) => {
      const resource = user()
      const snapshot = structuredClone(resource)
      deepFreeze(resource)
      deepFreeze(operations)
      let stage = 'apply'
      try {
        const result = applyPatch(resource, parsePatchRequest({ schemas: [URN.patchOp], Operations: operations }), userView)
        stage = 'normalize'
        const doc = normalizeResource(result, userView)
        for (const list of [doc.emails, doc.phoneNumbers]) {
          if (Array.isArray(list)) t.ok(list.filter((e) => e.primary === true).length <= 1)
        }
        applied++
      } catch (error) {
        if (!(error instanceof ScimError) || error.status !== 400) throw error
        if (error.detail.includes('more than one value with "primary"')) throw new Error('applyPatch left two primaries')
        if (stage === 'normalize') throw new Error(`applyPatch let through what normalizeResource refuses: ${error.detail}`)
      }
      t.strictSame(resource, snapshot)
    }),
    { seed: SEED, numRuns: 1000 },
  )
  t.ok(applied > 300, `most plausible bodies apply (${applied})`)
})

t.test('random PATCH bodies: only 400 ScimErrors, never a mutated resource', async (t) => {
  let applied = 0
  let rejected = 0
  fc.assert(
    fc.property(body, (request) => {
      const resource = user()
      const snapshot = structuredClone(resource)
      deepFreeze(resource)
      deepFreeze(request)
      let stage = 'parse'
      try {
        const operations = parsePatchRequest(request, { maxOperations: 5 })
        stage = 'apply'
        const result = applyPatch(resource, operations, userView)
        stage = 'normalize'
        normalizeResource(result, userView)
        applied++
      } catch (error) {
        if (!(error instanceof ScimError) || error.status !== 400) throw error
        if (stage === 'apply' && !error.detail.startsWith('Operation ')) throw new Error(`apply error without operation: ${error.detail}`)
        if (stage === 'normalize') throw new Error(`applyPatch let through what normalizeResource refuses: ${error.detail}`)
        if (error.detail.includes('more than one value with "primary"')) throw new Error('applyPatch left two primaries')
        rejected++
      }
      t.strictSame(resource, snapshot)
    }),
    { seed: SEED, numRuns: 1000 },
  )
  t.ok(applied > 0, `some bodies apply cleanly (${applied})`)
  t.ok(rejected > 50, `some bodies are rejected (${rejected})`)
})
