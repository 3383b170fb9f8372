import assert from 'node:assert/strict'
import fc from 'fast-check'
import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import type { AttrPath, CompValue, CompareOp, Filter } from '../../src/scim/filter/ast.js'
import { formatFilter, formatPatchPath } from '../../src/scim/filter/format.js'
import { parseFilter, parsePatchPath } from '../../src/scim/filter/parser.js'
import { errorOf } from '../helpers/scim-error.js'

const eq = (attr: string, value: CompValue): Filter => ({ kind: 'compare', path: { attr }, op: 'eq', value })

type Assert = Pick<typeof t, 'equal' | 'match'>

/** Asserts a 400 invalidFilter whose detail names the 1-based position and contains each fragment. */
function rejects(t: Assert, input: string, position: number | undefined, ...fragments: string[]): void {
  const error = errorOf(() => parseFilter(input))
  input = input.length > 60 ? `${input.slice(0, 60)}…` : input
  t.equal(error.status, 400, input)
  t.equal(error.scimType, 'invalidFilter', input)
  if (position !== undefined) t.match(error.detail, `Invalid filter at position ${position}:`, input)
  for (const fragment of fragments) t.match(error.detail, fragment, input)
}

t.test('every comparison operator, and pr', async (t) => {
  for (const op of ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const) {
    t.same(parseFilter(`title ${op} "x"`), { kind: 'compare', path: { attr: 'title' }, op, value: 'x' })
  }
  t.same(parseFilter('title pr'), { kind: 'present', path: { attr: 'title' } })
})

t.test('operators and keywords are case-insensitive; names and values keep their case', async (t) => {
  t.same(parseFilter('userName EQ "BJensen"'), eq('userName', 'BJensen'))
  t.same(parseFilter('NOT (title Pr) AnD active eQ TRUE Or x Eq NuLl'), {
    kind: 'or',
    left: { kind: 'and', left: { kind: 'not', filter: { kind: 'present', path: { attr: 'title' } } }, right: eq('active', true) },
    right: eq('x', null),
  })
})

t.test('and binds tighter than or; both are left-associative', async (t) => {
  // scim-query-filter-parser, a third-party parser, reads this as (a and b) or (b and c).
  t.same(parseFilter('active eq true and loginCount gt 5 and title eq "Mgr"'), {
    kind: 'and',
    left: {
      kind: 'and',
      left: eq('active', true),
      right: { kind: 'compare', path: { attr: 'loginCount' }, op: 'gt', value: 5 },
    },
    right: eq('title', 'Mgr'),
  })
  t.same(parseFilter('a eq 1 or b eq 2 or c eq 3'), {
    kind: 'or',
    left: { kind: 'or', left: eq('a', 1), right: eq('b', 2) },
    right: eq('c', 3),
  })
  t.same(parseFilter('a eq 1 or b eq 2 and c eq 3'), {
    kind: 'or',
    left: eq('a', 1),
    right: { kind: 'and', left: eq('b', 2), right: eq('c', 3) },
  })
  t.same(parseFilter('(a eq 1 or b eq 2) and c eq 3'), {
    kind: 'and',
    left: { kind: 'or', left: eq('a', 1), right: eq('b', 2) },
    right: eq('c', 3),
  })
  t.same(parseFilter('a eq 1 and (b eq 2 and c eq 3)'), {
    kind: 'and',
    left: eq('a', 1),
    right: { kind: 'and', left: eq('b', 2), right: eq('c', 3) },
  })
})

t.test('not takes a parenthesized filter, with or without a space', async (t) => {
  const expected: Filter = { kind: 'not', filter: { kind: 'or', left: eq('a', 1), right: eq('b', 2) } }
  t.same(parseFilter('not (a eq 1 or b eq 2)'), expected)
  t.same(parseFilter('not(a eq 1 or b eq 2)'), expected)
  t.same(parseFilter('not (not (a eq 1))'), { kind: 'not', filter: { kind: 'not', filter: eq('a', 1) } })
  t.same(parseFilter('((a eq 1))'), eq('a', 1))
  rejects(t, 'not a eq 1', 5, 'expected "("', 'after "not"', 'found "a"')
})

t.test('attribute paths', async (t) => {
  t.same(parseFilter('name.familyName co "O\'Malley"').kind, 'compare')
  t.same((parseFilter('name.familyName pr') as { path: AttrPath }).path, { attr: 'name', subAttr: 'familyName' })
  t.same((parseFilter('members.$ref pr') as { path: AttrPath }).path, { attr: 'members', subAttr: '$ref' })
  t.same((parseFilter('first_name-2 pr') as { path: AttrPath }).path, { attr: 'first_name-2' })
  t.same((parseFilter(`${URN.enterpriseUser}:employeeNumber eq "701984"`) as { path: AttrPath }).path, {
    urn: URN.enterpriseUser,
    attr: 'employeeNumber',
  })
  t.same((parseFilter(`${URN.enterpriseUser}:manager.value eq "26118915"`) as { path: AttrPath }).path, {
    urn: URN.enterpriseUser,
    attr: 'manager',
    subAttr: 'value',
  })
  t.same((parseFilter(`${URN.user}:userName sw "j"`) as { path: AttrPath }).path, { urn: URN.user, attr: 'userName' })
  rejects(t, '1abc eq "x"', 1, 'expected an attribute path', 'found "1abc"')
  rejects(t, 'name.given.more pr', 1, 'expected an attribute path')
  rejects(t, 'foo:bar eq 1', 1, 'expected an attribute path')
  rejects(t, 'urn:x:userName eq 1', 1, 'invalid schema URN "urn:x"')
  rejects(t, `${URN.enterpriseUser}: eq 1`, 1, 'expected an attribute path')
})

t.test('value paths', async (t) => {
  const work: Filter = {
    kind: 'and',
    left: eq('type', 'work'),
    right: { kind: 'compare', path: { attr: 'value' }, op: 'co', value: '@example.com' },
  }
  t.same(parseFilter('emails[type eq "work" and value co "@example.com"]'), {
    kind: 'valuePath',
    path: { attr: 'emails' },
    filter: work,
  })
  t.same(parseFilter('userType eq "Employee" and not (emails[type eq "work" and value co "@example.com"])'), {
    kind: 'and',
    left: eq('userType', 'Employee'),
    right: { kind: 'not', filter: { kind: 'valuePath', path: { attr: 'emails' }, filter: work } },
  })
  t.same(parseFilter(`${URN.enterpriseUser}:x[a pr] or emails[(type eq "w") or not (primary eq true)]`), {
    kind: 'or',
    left: { kind: 'valuePath', path: { urn: URN.enterpriseUser, attr: 'x' }, filter: { kind: 'present', path: { attr: 'a' } } },
    right: {
      kind: 'valuePath',
      path: { attr: 'emails' },
      filter: { kind: 'or', left: eq('type', 'w'), right: { kind: 'not', filter: eq('primary', true) } },
    },
  })
  rejects(t, 'emails[type eq "work"].value eq "x"', 23, 'only allowed in PATCH paths', 'emails[... and value eq')
  rejects(t, 'emails[type[x eq 1]]', 12, 'cannot contain another "[...]"')
  rejects(t, 'emails[type.x eq 1]', 8, 'inside "emails[...]"', 'found "type.x"')
  rejects(t, 'emails.value[type eq "w"]', 13, 'not the sub-attribute "emails.value"')
  rejects(t, 'emails [type eq "w"]', 8, 'no space')
  rejects(t, 'emails[type eq "w"', 19, 'expected "and", "or" or "]" to close the "[" at position 7', 'the end of the filter')
  rejects(t, 'emails[type eq "w")', 19, '"]" to close the "[" at position 7', 'found ")"')
})

t.test('values: JSON strings, numbers, literals', async (t) => {
  const valueOf = (text: string): CompValue => (parseFilter(`x eq ${text}`) as { value: CompValue }).value
  t.equal(valueOf(String.raw`"a\"b\\c\/d\b\f\n\r\t"`), 'a"b\\c/d\b\f\n\r\t')
  t.equal(valueOf(String.raw`"\u00e9\uD83D\uDE00"`), 'é😀')
  t.equal(valueOf('"alíce 😀"'), 'alíce 😀')
  t.equal(valueOf('""'), '')
  t.equal(valueOf('"and"'), 'and')
  for (const [text, number] of [
    ['0', 0],
    ['42', 42],
    ['-7', -7],
    ['3.25', 3.25],
    ['-1.5e3', -1500],
    ['2E-2', 0.02],
    ['1e+2', 100],
  ] as const) {
    t.equal(valueOf(text), number, text)
  }
  t.ok(Object.is(valueOf('-0'), -0))
  t.equal(valueOf('true'), true)
  t.equal(valueOf('False'), false)
  t.equal(valueOf('NULL'), null)
})

t.test('Entra ID leniency: an unquoted word is a string unless it is a literal or a JSON number', async (t) => {
  t.same(parseFilter('externalId eq jyoung'), eq('externalId', 'jyoung'))
  t.same(parseFilter('externalId eq 5d48a0a8-e3f5-4b0f-8d3c-1e3a4b5c6d7e'), eq('externalId', '5d48a0a8-e3f5-4b0f-8d3c-1e3a4b5c6d7e'))
  t.same(parseFilter('externalId eq 0123'), eq('externalId', '0123'))
  t.same(parseFilter('externalId eq 123'), eq('externalId', 123))
  t.same(parseFilter('active eq True'), eq('active', true))
  t.same(parseFilter('(externalId eq jyoung)'), eq('externalId', 'jyoung'))
  rejects(t, "userName eq 'bob'", 13, 'double quotes')
  rejects(t, 'userName eq and title pr', 13, 'expected a value', 'found "and"')
})

t.test('syntax errors name the position and what was expected', async (t) => {
  rejects(
    t,
    'userName equals "x"',
    10,
    'expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "userName", found "equals"',
  )
  rejects(t, 'userName', 9, 'expected a comparison operator', 'found the end of the filter')
  rejects(t, 'title pr "x"', 10, 'expected "and", "or" or the end of the filter after "pr", found "x"')
  rejects(t, 'userName eq', 12, 'expected a value', 'after "eq"', 'found the end of the filter')
  rejects(t, 'userName eq (', 13, 'expected a value', 'found "("')
  rejects(t, 'userName eq "x" foo', 17, 'expected "and", "or" or the end of the filter', 'found "foo"')
  rejects(t, 'userName eq "x" and', 20, 'expected an attribute path, "(" or "not" after "and"', 'found the end of the filter')
  rejects(t, 'and userName pr', 1, 'expected an attribute path, "(" or "not"', 'found "and"')
  rejects(t, '(userName eq "x"', 17, 'expected "and", "or" or ")" to close the "(" at position 1')
  rejects(t, 'userName eq "x")', 16, 'found ")" without a matching "("')
  rejects(t, 'userName eq "x"]', 16, 'found "]" without a matching "["')
  rejects(t, '()', 2, 'expected an attribute path', 'found ")"')
  rejects(t, '', undefined, 'Invalid filter: the filter is empty')
  rejects(t, '  \t ', undefined, 'the filter is empty')
  rejects(t, 'x eq 1e999', 6, 'out of range')
})

t.test('string errors', async (t) => {
  rejects(t, 'userName eq "abc', 13, 'unterminated string')
  rejects(t, 'userName eq "abc\\"', 13, 'unterminated string')
  rejects(t, 'userName eq "abc\\', 13, 'unterminated string')
  rejects(t, 'userName eq "a\nb"', 15, 'control character U+000A must be escaped')
  rejects(t, 'userName eq "a\\qb"', 15, 'invalid escape "\\q"')
  rejects(t, 'userName eq "a\\u12G4"', 15, 'invalid escape "\\u12G4"', '4 hex digits')
})

t.test('limits', async (t) => {
  const long = `userName eq "${'a'.repeat(4090)}"`
  rejects(t, long, undefined, `Invalid filter: ${long.length} characters, longer than the limit of 4096`)
  t.equal(parseFilter('x pr', { maxLength: 4 }).kind, 'present')
  t.throws(() => parseFilter('x pr', { maxLength: 3 }))

  const nested = (levels: number): string => `${'('.repeat(levels)}x pr${')'.repeat(levels)}`
  t.equal(parseFilter(nested(32)).kind, 'present')
  rejects(t, nested(33), 33, 'nested deeper than the limit of 32')
  t.equal(parseFilter('not (not (x pr))', { maxDepth: 2 }).kind, 'not')
  t.match(errorOf(() => parseFilter('not (not (x pr))', { maxDepth: 1 })).detail, 'position 10: nested deeper than the limit of 1')
  t.match(errorOf(() => parseFilter('(emails[type pr])', { maxDepth: 1 })).detail, 'position 8: nested deeper')
  // and/or chains do not nest: their length is what bounds them.
  const chain = Array.from({ length: 200 }, (_, i) => `id eq "${i}"`).join(' or ')
  t.equal(parseFilter(chain).kind, 'or')
})

t.test('PATCH paths (RFC 7644 §3.5.2)', async (t) => {
  t.same(parsePatchPath('name.givenName'), { path: { attr: 'name', subAttr: 'givenName' } })
  t.same(parsePatchPath('members'), { path: { attr: 'members' } })
  t.same(parsePatchPath('emails[type eq "work"].value'), {
    path: { attr: 'emails' },
    valueFilter: eq('type', 'work'),
    subAttr: 'value',
  })
  t.same(parsePatchPath('members[value eq "2819c223"]'), { path: { attr: 'members' }, valueFilter: eq('value', '2819c223') })
  t.same(parsePatchPath('members[value eq 2819c223-7f76]'), { path: { attr: 'members' }, valueFilter: eq('value', '2819c223-7f76') })
  t.same(parsePatchPath(`${URN.enterpriseUser}:manager`), { path: { urn: URN.enterpriseUser, attr: 'manager' } })
  t.same(parsePatchPath(`${URN.enterpriseUser}:manager.value`), {
    path: { urn: URN.enterpriseUser, attr: 'manager', subAttr: 'value' },
  })
  t.same(parsePatchPath(URN.enterpriseUser), { path: { urn: URN.enterpriseUser, attr: '' } })
  t.same(parsePatchPath(URN.enterpriseUser.toLowerCase()), { path: { urn: URN.enterpriseUser.toLowerCase(), attr: '' } })
  t.same(parsePatchPath('urn:example:ext:1.0:Thing', { schemaUrns: ['urn:example:ext:1.0:Thing'] }), {
    path: { urn: 'urn:example:ext:1.0:Thing', attr: '' },
  })
  t.equal(
    formatPatchPath(parsePatchPath('emails[type eq "work" and primary eq true].display')),
    'emails[type eq "work" and primary eq true].display',
  )

  const rejectsPath = (input: string, position: number | undefined, fragment: string): void => {
    const error = errorOf(() => parsePatchPath(input))
    input = input.slice(0, 60)
    t.equal(error.status, 400, input)
    t.equal(error.scimType, 'invalidPath', input)
    if (position !== undefined) t.match(error.detail, `Invalid path at position ${position}:`, input)
    t.match(error.detail, fragment, input)
  }
  rejectsPath('', undefined, 'Invalid path: the path is empty')
  rejectsPath('emails[type eq "work"', 22, '"]" to close the "[" at position 7')
  rejectsPath('emails[type eq "work"]value', 23, 'expected ".subAttribute" or the end of the path')
  rejectsPath('emails[type eq "work"].value.x', 23, 'expected ".subAttribute"')
  rejectsPath('emails[type eq "work"] .value', 24, 'expected ".subAttribute"')
  rejectsPath('emails[type eq "work"].value[x pr]', 29, 'expected the end of the path')
  rejectsPath('name.givenName[x pr]', 15, 'not the sub-attribute')
  rejectsPath('name givenName', 6, 'expected "[" or the end of the path after "name"')
  rejectsPath('emails[type equals "work"]', 13, 'expected a comparison operator')
  rejectsPath('(name)', 1, 'expected an attribute path')
  rejectsPath('x'.repeat(4097), undefined, 'longer than the limit of 4096')
})

/** Random syntax trees for the round trip; names exclude the keywords and/or/not, which cannot start an expression. */
const nameArb = fc
  .oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/), fc.constantFrom('$ref', 'userName', 'emails'))
  .filter((name) => !['and', 'or', 'not'].includes(name.toLowerCase()))
const urnArb = fc.oneof(
  fc.constantFrom(URN.enterpriseUser, URN.user),
  fc
    .tuple(
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,5}$/),
      fc.array(fc.stringMatching(/^[A-Za-z0-9._-]{1,6}$/), { minLength: 1, maxLength: 4 }),
    )
    .map(([nid, rest]) => `urn:${nid}:${rest.join(':')}`),
)
const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined })
const attrPathArb = (qualified: boolean, sub: boolean): fc.Arbitrary<AttrPath> =>
  fc
    .tuple(qualified ? optional(urnArb) : fc.constant(undefined), nameArb, sub ? optional(nameArb) : fc.constant(undefined))
    .map(([urn, attr, subAttr]) => ({ ...(urn === undefined ? {} : { urn }), attr, ...(subAttr === undefined ? {} : { subAttr }) }))
const valueArb: fc.Arbitrary<CompValue> = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
)
const opArb = fc.constantFrom<CompareOp>('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le')

/** fc.record builds null-prototype objects, which deepStrictEqual tells apart from the parser's. */
const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> => fc.record(model, { noNullPrototype: true })

function filterArb(inBrackets: boolean): fc.Arbitrary<Filter> {
  const path = attrPathArb(!inBrackets, !inBrackets)
  const { filter } = fc.letrec<{ filter: Filter }>((tie) => {
    const node = tie('filter')
    const choices: fc.Arbitrary<Filter>[] = [
      record({ kind: fc.constant('compare' as const), path, op: opArb, value: valueArb }),
      record({ kind: fc.constant('present' as const), path }),
      record({ kind: fc.constant('and' as const), left: node, right: node }),
      record({ kind: fc.constant('or' as const), left: node, right: node }),
      record({ kind: fc.constant('not' as const), filter: node }),
    ]
    if (!inBrackets) {
      choices.push(record({ kind: fc.constant('valuePath' as const), path: attrPathArb(true, false), filter: filterArb(true) }))
    }
    return { filter: fc.oneof({ maxDepth: 5, depthIdentifier: inBrackets ? 'inner' : 'outer' }, ...choices) }
  })
  return filter
}

t.test('round trip: parseFilter(formatFilter(ast)) equals ast', async (t) => {
  fc.assert(
    fc.property(filterArb(false), (ast) => {
      const text = formatFilter(ast)
      assert.deepStrictEqual(parseFilter(text, { maxLength: 1_000_000, maxDepth: 1000 }), ast, text)
    }),
    { seed: 20240131, numRuns: 500 },
  )
  t.pass('500 random syntax trees survive formatting and parsing')
})
