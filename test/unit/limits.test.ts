import { readFileSync } from 'node:fs'
import { t } from '../helpers/file-test.js'
import { serviceProviderConfig } from '../../src/scim/core/discovery.js'
import * as limits from '../../src/scim/limits.js'

/**
 * The README's "Limits of a request" table states every limit of src/scim/limits.ts with its value:
 * a limit changed, added or removed in one and not the other fails here.
 */
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

/** Constant name -> the number its row states, read from the table under "### Limits of a request". */
function readmeLimits(): Map<string, number> {
  const section = readme.split('\n### Limits of a request\n')[1]?.split(/\n#{2,3} /)[0]
  if (section === undefined) throw new Error('README.md has no "### Limits of a request" section')
  const rows = new Map<string, number>()
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim())
    const constant = /^`([A-Z_]+)`$/.exec(cells[3] ?? '')?.[1]
    if (!constant) continue
    if (rows.has(constant)) throw new Error(`README.md states ${constant} twice`)
    rows.set(constant, Number((cells[2] ?? '').replace(/,/g, '')))
  }
  return rows
}

const numbers = Object.entries(limits).filter((entry): entry is [string, number] => typeof entry[1] === 'number')

t.test('the README table states every limit of src/scim/limits.ts, with its value', async (t) => {
  const stated = readmeLimits()
  t.ok(numbers.length >= 17, 'the module exports its limits')
  for (const [name, value] of numbers) t.equal(stated.get(name), value, `${name} is ${value.toLocaleString('en-US')} in README.md`)
  t.same([...stated.keys()].sort(), numbers.map(([name]) => name).sort(), 'and no limit the module does not have')
})

t.test('/ServiceProviderConfig advertises the limits the code enforces', async (t) => {
  const document = serviceProviderConfig(limits.SERVICE_LIMITS, 'https://scim.example/ServiceProviderConfig')
  t.equal(document.filter.maxResults, limits.MAX_RESULTS)
  t.equal(document.pagination.maxPageSize, limits.MAX_RESULTS)
  t.equal(document.pagination.defaultPageSize, limits.MAX_RESULTS)
  t.same(limits.SERVICE_LIMITS, {
    maxResults: limits.MAX_RESULTS,
    maxOperations: limits.MAX_OPERATIONS,
    maxPayloadSize: limits.MAX_PAYLOAD_BYTES,
  })
})
