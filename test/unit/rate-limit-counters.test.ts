import { t } from '../helpers/file-test.js'
import { LocalCounters } from '../../src/http/rate-limit.js'

const WINDOW = 60_000
const LIMIT = 5

t.test('a burst of distinct keys never grows the fallback counters past their cap', async (t) => {
  const counters = new LocalCounters(100)
  const now = 1_000_000
  let largest = 0
  // What a flood of made-up tokens looks like to the store: one new key per request, within one window.
  for (let i = 0; i < 10_000; i++) {
    counters.count(`token:guess-${i}`, WINDOW, now + i)
    largest = Math.max(largest, counters.size)
  }
  t.equal(largest, 100, 'never more than the cap')
})

t.test('a key counted during the burst keeps its count and stays limited', async (t) => {
  const counters = new LocalCounters(100)
  const now = 1_000_000
  const seen: number[] = []
  for (let i = 0; i < 1_000; i++) {
    counters.count(`token:guess-${i}`, WINDOW, now + i)
    // The real token, every 50 made-up ones (fewer than the cap come between two of its requests).
    if (i % 50 === 0) seen.push(counters.count('token:real', WINDOW, now + i).current)
  }
  t.same(
    seen,
    Array.from({ length: 20 }, (_, i) => i + 1),
    'its count only grows within the window',
  )
  t.ok(seen.filter((current) => current > LIMIT).length > 0, 'so it goes over the limit and stays over it')
  t.ok(counters.size <= 100)
})

t.test('an expired window starts again at 1; expired keys at the front leave as they come up', async (t) => {
  const counters = new LocalCounters(3)
  const now = 1_000_000
  counters.count('a', WINDOW, now)
  t.equal(counters.count('a', WINDOW, now).current, 2)
  t.equal(counters.count('a', WINDOW, now + WINDOW).current, 1, 'a new window')

  const fresh = new LocalCounters(3)
  fresh.count('b', WINDOW, now)
  fresh.count('c', WINDOW, now + 1)
  fresh.count('d', WINDOW, now + 2)
  fresh.count('e', WINDOW, now + WINDOW + 1)
  t.equal(fresh.size, 2, 'b and c had expired; d and e remain')
  t.equal(fresh.count('d', WINDOW, now + WINDOW + 1).current, 2, 'a live key keeps its count')
})
