import fc from 'fast-check'
import { t } from '../helpers/file-test.js'
import { holdsObjectLargerThan } from '../../src/http/object-members.js'

/** The most members any object in a parsed JSON value has: what the text scan must agree with. */
function largestObject(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0
  const children = Object.values(value)
  const own = Array.isArray(value) ? 0 : children.length
  return Math.max(own, ...children.map(largestObject))
}

t.test('agrees with JSON.parse on any JSON text, compact or indented', (t) => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 5 }), fc.boolean(), fc.nat(12), (value, indented, slack) => {
      const text = JSON.stringify(value, null, indented ? 2 : undefined)
      const largest = largestObject(JSON.parse(text))
      const max = Math.max(0, largest - 6 + slack)
      return holdsObjectLargerThan(text, max) === largest > max
    }),
    { numRuns: 2000 },
  )
  t.end()
})

t.test('counts only the colons that separate an object member from its value', (t) => {
  const members = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))
  t.equal(holdsObjectLargerThan(JSON.stringify(members(3)), 3), false, 'exactly the cap is allowed')
  t.equal(holdsObjectLargerThan(JSON.stringify(members(4)), 3), true, 'one past it is not')
  t.equal(holdsObjectLargerThan(JSON.stringify({ a: 'x:y:z:w', 'b:c:d': '{"e":1,"f":2}' }), 2), false, 'colons and braces in strings')
  t.equal(holdsObjectLargerThan(JSON.stringify({ a: 'ends in a quote \\" and: a colon', b: '\\', c: 1 }), 3), false, 'escaped quotes')
  t.equal(holdsObjectLargerThan(JSON.stringify({ a: '\\', b: ':', c: ':', d: ':' }), 4), false, 'a string ending in a backslash')
  t.equal(holdsObjectLargerThan(JSON.stringify([members(3), members(3), members(3)]), 3), false, 'sibling objects count apart')
  t.equal(holdsObjectLargerThan(JSON.stringify({ a: members(2), b: members(2) }), 2), false, 'a parent does not count its children')
  t.equal(holdsObjectLargerThan(JSON.stringify({ a: [members(2), members(4)] }), 3), true, 'an object inside an array')
  t.equal(holdsObjectLargerThan('{"a":1,"a":2,"a":3}', 2), true, 'a repeated name counts each time it is written')
  t.equal(holdsObjectLargerThan('"a:b:c"', 0), false, 'a lone string')
  t.end()
})
