import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { parsePatchRequest } from '../../src/scim/patch/index.js'
import { MAX_OBJECT_KEYS, MAX_PATH_COMPARISONS } from '../../src/scim/limits.js'
import { errorOf } from '../helpers/scim-error.js'

const body = (...operations: unknown[]) => ({ schemas: [URN.patchOp], Operations: operations })

t.test('a well-formed request becomes typed operations with parsed paths', async (t) => {
  const ops = parsePatchRequest(
    body(
      { op: 'replace', path: 'displayName', value: 'Babs' },
      { op: 'add', path: 'emails[type eq "work"].value', value: 'b@example.com' },
      { op: 'remove', path: 'name.givenName' },
      { op: 'replace', value: { active: false } },
    ),
  )
  t.strictSame(ops, [
    { index: 0, op: 'replace', path: { path: { attr: 'displayName' } }, rawPath: 'displayName', value: 'Babs' },
    {
      index: 1,
      op: 'add',
      path: {
        path: { attr: 'emails' },
        valueFilter: { kind: 'compare', path: { attr: 'type' }, op: 'eq', value: 'work' },
        subAttr: 'value',
      },
      rawPath: 'emails[type eq "work"].value',
      value: 'b@example.com',
    },
    { index: 2, op: 'remove', path: { path: { attr: 'name', subAttr: 'givenName' } }, rawPath: 'name.givenName' },
    { index: 3, op: 'replace', value: { active: false } },
  ])
})

t.test('op names', async (t) => {
  // Microsoft Entra ID capitalises, OneLogin and JumpCloud write lower case.
  for (const op of ['Add', 'REPLACE', 'Remove', 'add', ' replace ']) {
    const [parsed] = parsePatchRequest(body({ op, path: 'title', value: 'x' }))
    t.equal(parsed?.op, op.trim().toLowerCase(), op)
  }
  const error = errorOf(() => parsePatchRequest(body({ op: 'replace', path: 'title', value: 'x' }, { op: 'move', path: 'title' })))
  t.equal(error.status, 400)
  t.equal(error.scimType, 'invalidSyntax')
  t.equal(error.detail, 'Operation 2: "op" must be "add", "replace" or "remove", found "move"')
})

t.test('schemas: PatchOp required when present, case-insensitively; absent is accepted', async (t) => {
  t.equal(parsePatchRequest({ schemas: [URN.patchOp.toUpperCase()], Operations: [{ op: 'remove', path: 'title' }] }).length, 1)
  t.equal(parsePatchRequest({ Operations: [{ op: 'remove', path: 'title' }] }).length, 1, 'some clients omit schemas')
  for (const schemas of [[URN.user], [], 'urn:ietf:params:scim:api:messages:2.0:PatchOp', {}]) {
    const error = errorOf(() => parsePatchRequest({ schemas, Operations: [{ op: 'remove', path: 'title' }] }))
    t.equal(error.scimType, 'invalidSyntax', JSON.stringify(schemas))
    t.match(error.detail, '"schemas" must be')
  }
})

t.test('Operations: any key case, a non-empty list, at most maxOperations', async (t) => {
  t.equal(parsePatchRequest({ schemas: [URN.patchOp], operations: [{ op: 'remove', path: 'title' }] }).length, 1)
  t.equal(errorOf(() => parsePatchRequest({ schemas: [URN.patchOp] })).scimType, 'invalidSyntax')
  t.equal(errorOf(() => parsePatchRequest({ schemas: [URN.patchOp], Operations: {} })).scimType, 'invalidSyntax')
  const empty = errorOf(() => parsePatchRequest(body()))
  t.equal(empty.scimType, 'invalidValue')
  t.match(empty.detail, 'at least one operation')
  const three = [1, 2, 3].map(() => ({ op: 'remove', path: 'title' }))
  const tooMany = errorOf(() => parsePatchRequest(body(...three), { maxOperations: 2 }))
  t.equal(tooMany.status, 400)
  t.equal(tooMany.scimType, 'invalidValue')
  t.equal(tooMany.detail, '"Operations" has 3 operations, more than the limit of 2 per request')
  t.equal(parsePatchRequest(body(...Array.from({ length: 1000 }, () => ({ op: 'remove', path: 'title' })))).length, 1000)
  t.equal(
    errorOf(() => parsePatchRequest(body(...Array.from({ length: 1001 }, () => ({ op: 'remove', path: 'title' }))))).scimType,
    'invalidValue',
  )
})

t.test('the body must be an object and each operation an object', async (t) => {
  for (const bad of [null, 'x', 5, [], undefined]) {
    t.equal(errorOf(() => parsePatchRequest(bad)).scimType, 'invalidSyntax', String(bad))
  }
  const error = errorOf(() => parsePatchRequest(body({ op: 'remove', path: 'title' }, 'remove')))
  t.equal(error.scimType, 'invalidSyntax')
  t.match(error.detail, /^Operation 2: each operation must be an object/)
})

t.test('path: empty means none; invalid syntax is invalidPath naming the operation', async (t) => {
  const [op] = parsePatchRequest(body({ op: 'replace', path: '', value: { title: 'x' } }))
  t.equal(op?.path, undefined)
  const invalid = errorOf(() =>
    parsePatchRequest(body({ op: 'add', path: 'title', value: 'x' }, { op: 'replace', path: 'emails[type eq "work"', value: 'x' })),
  )
  t.equal(invalid.status, 400)
  t.equal(invalid.scimType, 'invalidPath')
  t.match(invalid.detail, /^Operation 2 \(replace emails\[type eq "work"\): Invalid path at position/)
  const notString = errorOf(() => parsePatchRequest(body({ op: 'replace', path: 5, value: 'x' })))
  t.equal(notString.scimType, 'invalidPath')
  t.equal(notString.detail, 'Operation 1 (replace): "path" must be a string, found a number')
})

t.test('remove needs a path (noTarget); add and replace need a value', async (t) => {
  const noTarget = errorOf(() => parsePatchRequest(body({ op: 'remove' })))
  t.equal(noTarget.status, 400)
  t.equal(noTarget.scimType, 'noTarget')
  t.equal(noTarget.detail, 'Operation 1 (remove): "remove" needs a "path" naming what to remove')
  const noValue = errorOf(() => parsePatchRequest(body({ op: 'add', path: 'title' })))
  t.equal(noValue.scimType, 'invalidValue')
  t.equal(noValue.detail, 'Operation 1 (add title): "add" needs a "value"')
  const notObject = errorOf(() => parsePatchRequest(body({ op: 'replace', value: 'x' })))
  t.equal(notObject.scimType, 'invalidValue')
  t.match(notObject.detail, 'without a "path", "value" must be an object')
  const [nulled] = parsePatchRequest(body({ op: 'replace', path: 'title', value: null }))
  t.strictSame(
    nulled,
    { index: 0, op: 'replace', path: { path: { attr: 'title' } }, rawPath: 'title', value: null },
    'replace null is kept; applyPatch removes',
  )
  const [withValue] = parsePatchRequest(body({ op: 'remove', path: 'emails', value: [{ value: 'a@b.c' }] }))
  t.strictSame(withValue?.value, [{ value: 'a@b.c' }], 'remove keeps its value list')
})

t.test('operation member names match case-insensitively', async (t) => {
  const [op] = parsePatchRequest(body({ OP: 'Replace', Path: 'title', Value: 'x' }))
  t.strictSame(op, { index: 0, op: 'replace', path: { path: { attr: 'title' } }, rawPath: 'title', value: 'x' })
})

t.test('absurdly deep values are refused up front', async (t) => {
  let deep: unknown = 'x'
  for (let i = 0; i < 100_000; i++) deep = { a: deep }
  const error = errorOf(() => parsePatchRequest(body({ op: 'replace', path: 'name', value: deep })))
  t.equal(error.scimType, 'invalidValue')
  t.match(error.detail, /^Operation 1 \(replace name\): "value" is nested deeper than/)
})

t.test(
  `objects hold at most ${MAX_OBJECT_KEYS} members: the body, each operation, each object of a value (400 invalidValue)`,
  async (t) => {
    const members = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 1]))
    t.equal(parsePatchRequest(body({ op: 'add', value: members(MAX_OBJECT_KEYS) })).length, 1, 'exactly the cap is accepted')
    const cases: [unknown, RegExp][] = [
      [body({ op: 'add', value: members(MAX_OBJECT_KEYS + 1) }), /^Operation 1 \(add\): "value" holds an object of more than 1000 members/],
      [
        body({ op: 'add', path: 'emails', value: [{ value: 'a@b.c' }, members(MAX_OBJECT_KEYS + 1)] }),
        /^Operation 1 \(add emails\): "value" holds an object of more than 1000 members/,
      ],
      [
        body({ op: 'add', path: 'title', value: 'x' }, { op: 'add', path: 'title', value: 'x', ...members(MAX_OBJECT_KEYS) }),
        /^Operation 2: the operation has more than 1000 members/,
      ],
      [{ ...body({ op: 'add', path: 'title', value: 'x' }), ...members(MAX_OBJECT_KEYS) }, /^The PATCH body has more than 1000 members/],
    ]
    for (const [request, detail] of cases) {
      const error = errorOf(() => parsePatchRequest(request))
      t.same([error.status, error.scimType], [400, 'invalidValue'])
      t.match(error.detail, detail)
    }
  },
)

t.test(`the paths of one PATCH hold ${MAX_PATH_COMPARISONS} filter comparisons at most (400 tooMany)`, async (t) => {
  const remove = (comparisons: number) => ({
    op: 'remove',
    path: `emails[${Array.from({ length: comparisons }, (_, i) => `value eq "v${i}"`).join(' or ')}]`,
  })
  const tenth = remove(MAX_PATH_COMPARISONS / 10)
  t.equal(parsePatchRequest(body(...Array(10).fill(tenth))).length, 10, 'exactly the cap is accepted')
  const over = errorOf(() => parsePatchRequest(body(...Array(10).fill(tenth), remove(1))))
  t.same([over.status, over.scimType], [400, 'tooMany'])
  t.match(
    over.detail,
    new RegExp(
      `^Operation 11 \\(remove emails\\[value eq "v0"\\]\\): the paths of this request hold more than ${MAX_PATH_COMPARISONS} filter comparisons`,
    ),
  )
  t.equal(
    parsePatchRequest(body(...Array(1000).fill({ op: 'remove', path: 'members[value eq "x"]' }))).length,
    1000,
    "Okta's one comparison for each member, a thousand times",
  )
})
