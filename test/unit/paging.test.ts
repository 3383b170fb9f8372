import { t } from '../helpers/file-test.js'
import { pageWithTotal } from '../../src/store/pg/paging.js'

/** A result set of `size` rows, counting how often the total was asked for. */
function source(size: number) {
  const counted = { n: 0 }
  const rows = Array.from({ length: size }, (_, i) => i + 1)
  return {
    counted,
    page: async (limit: number, offset: number) => rows.slice(offset, offset + limit),
    total: async () => {
      counted.n++
      return size
    },
  }
}

t.test('the total is exact, and counted only when the page cannot tell', async (t) => {
  const cases: [size: number, startIndex: number, count: number, counts: number][] = [
    [1, 1, 100, 0], // an eq lookup: the page is the result
    [0, 1, 100, 0], // nothing matched
    [250, 1, 100, 1], // a full page: more may follow
    [250, 201, 100, 0], // the last, short page
    [250, 301, 100, 1], // past the end: only a count knows the total
    [250, 1, 0, 1], // count=0 asks for the total alone
    [100, 1, 100, 1], // exactly full: a count decides
  ]
  for (const [size, startIndex, count, counts] of cases) {
    const s = source(size)
    const result = await pageWithTotal(startIndex, count, s.page, s.total)
    t.equal(result.totalResults, size, `size ${size}, startIndex ${startIndex}, count ${count}`)
    t.equal(s.counted.n, counts, 'counts')
    t.same(result.rows, Array.from({ length: size }, (_, i) => i + 1).slice(startIndex - 1, startIndex - 1 + count))
  }
})

t.test('an offset PostgreSQL cannot take (startIndex past 2^53) is an empty page without a query', async (t) => {
  for (const startIndex of [1e20, 2 ** 63, Number.MAX_SAFE_INTEGER + 2]) {
    let paged = false
    const result = await pageWithTotal(
      startIndex,
      100,
      async () => {
        paged = true
        throw new Error('value "99999999999999999999" is out of range for type bigint')
      },
      async () => 250,
    )
    t.same(result, { totalResults: 250, rows: [] }, String(startIndex))
    t.notOk(paged, 'no page query')
  }
  const s = source(250)
  t.same(
    await pageWithTotal(Number.MAX_SAFE_INTEGER, 100, s.page, s.total),
    { totalResults: 250, rows: [] },
    'the largest exact startIndex is still asked for',
  )
})

t.test('a short page that continued after a remembered key is counted: its position says nothing of the total', async (t) => {
  // Ten users went before the page since the one before it: the 150 left after position 100 of the
  // previous page are rows 101-250 of the key's order, but 240 remain in all.
  const result = await pageWithTotal(
    101,
    200,
    async () => Array.from({ length: 150 }, (_, i) => i + 101),
    async () => 240,
    () => false,
  )
  t.equal(result.totalResults, 240, 'counted, not 100 + 150')
  const s = source(250)
  t.equal((await pageWithTotal(201, 100, s.page, s.total, () => true)).totalResults, 250, 'a positioned page still tells it')
  t.equal(s.counted.n, 0)
})
