/**
 * The SQL filter compiler (store/pg/filter-sql.ts) against the in-memory predicate
 * (scim/filter/evaluate.ts), whose top comment defines the semantics: for random filters over a
 * fixed population of users whose values collide on purpose, GET /Users with the filter must select
 * exactly the users the predicate selects, or both must refuse the filter with the same 400.
 * Also: an outside reference (scim-query-filter-parser) on the shapes it evaluates correctly, and
 * malformed filter text never getting past the store as anything but a ScimError 400.
 *
 * Runs are seeded, so a failure reproduces; FUZZ_RUNS=20000 runs longer (npm run test:fuzz), and
 * FUZZ_SEED=n tries other cases (the population is drawn from the seed too).
 */
import { randomUUID } from 'node:crypto'
import { inspect, isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { compileFilter as referenceCompile } from 'scim-query-filter-parser'
import type { Test } from 'tap'
import { t } from '../helpers/file-test.js'
import { normalizeResource } from '../../src/scim/core/resource-input.js'
import { URN } from '../../src/scim/core/schemas.js'
import { renderUser, userView } from '../../src/scim/core/user-resource.js'
import type { Filter } from '../../src/scim/filter/ast.js'
import { matchesFilter } from '../../src/scim/filter/evaluate.js'
import { formatFilter } from '../../src/scim/filter/format.js'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { ScimError } from '../../src/scim/protocol/scim-error.js'
import type { ScimUserRecord } from '../../src/store/records.js'
import { testDatabases, type TestDatabase } from '../helpers/databases.js'
import {
  filterArbitrary,
  filterishText,
  mutatedText,
  poolsOf,
  populationArbitrary,
  referenceFilterArbitrary,
  referencePopulationArbitrary,
  unstorableValues,
  type UserSeed,
} from '../helpers/filter-arbitraries.js'

const ENT = URN.enterpriseUser
/** Fixed, so CI runs the same cases every time; FUZZ_SEED explores others (a failure prints the seed to replay). */
const SEED = Number.isInteger(Number(process.env.FUZZ_SEED)) && process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 7_644_342
const POPULATION = 60
const RUNS = fuzzRuns()

function fuzzRuns(): number {
  const runs = Number(process.env.FUZZ_RUNS)
  return Number.isInteger(runs) && runs > 0 ? runs : 300
}

// A long fuzz run outlives the 120 s per-file timeout of .taprc; this tells the runner.
if (RUNS > 300) t.setTimeout(120_000 + RUNS * 60)

/** The same users on every database: sampled once from the seed. */
const seeds = fc.sample(populationArbitrary(POPULATION), { seed: SEED, numRuns: 1 })[0]!
const referenceSeeds = fc.sample(referencePopulationArbitrary(40), { seed: SEED, numRuns: 1 })[0]!
const pools = poolsOf(seeds)

interface Population {
  readonly teamId: string
  readonly records: readonly ScimUserRecord[]
  /** As GET returns them: what the in-memory predicate runs on. */
  readonly rendered: readonly { readonly id: string; readonly resource: Record<string, unknown> }[]
}

/** A user as POST /Users stores it: normalized body, active always set, externalId copied to its column. */
function toRecord(seed: UserSeed, accountId: string): ScimUserRecord {
  const doc = normalizeResource(seed.body, userView)
  if (typeof doc.active !== 'boolean') throw new Error('the generated users always set active')
  return {
    id: seed.id,
    userName: doc.userName as string,
    externalId: (doc.externalId as string | undefined) ?? null,
    active: doc.active,
    accountId,
    doc,
    version: 1,
    created: seed.created,
    lastModified: seed.lastModified,
  }
}

async function seedTeam(db: TestDatabase, teamId: string, users: readonly UserSeed[]): Promise<Population> {
  await db.store.accounts.upsertTeam(teamId, teamId)
  const records: ScimUserRecord[] = []
  for (const [i, user] of users.entries()) {
    // A distinct account per user, as provisioning links them.
    const account = await db.store.accounts.createAccount({ email: `${teamId}-${i}@accounts.test`, displayName: null })
    const record = toRecord(user, account.id)
    await db.store.users.insertUser(teamId, record)
    records.push(record)
  }
  return { teamId, records, rendered: records.map((r) => ({ id: r.id, resource: renderUser(r, `http://x/Users/${r.id}`) })) }
}

type Outcome =
  { readonly ids: readonly string[] } | { readonly error: { readonly status: number; readonly scimType?: string; readonly detail: string } }

function refusal(error: unknown): Outcome {
  if (!(error instanceof ScimError)) throw error
  return { error: { status: error.status, ...(error.scimType ? { scimType: error.scimType } : {}), detail: error.detail } }
}

/** The reference semantics: matchesFilter over the rendered users. */
function inMemory(population: Population, filter: Filter): Outcome {
  try {
    return {
      ids: population.rendered
        .filter((u) => matchesFilter(u.resource, filter, userView))
        .map((u) => u.id)
        .sort(),
    }
  } catch (error) {
    return refusal(error)
  }
}

/** GET /Users through the store: one page holding everyone, and the total. */
async function inSql(db: TestDatabase, population: Population, filter: Filter): Promise<Outcome> {
  let result
  try {
    result = await db.store.users.listUsers(population.teamId, { filter, startIndex: 1, count: 1000 })
  } catch (error) {
    return refusal(error)
  }
  const ids = result.resources.map((r) => r.id).sort()
  if (result.totalResults !== ids.length) throw new Error(`totalResults ${result.totalResults} but ${ids.length} resources`)
  return { ids }
}

/** Throws a readable account of the users on which the two sides differ. */
function assertSame(population: Population, text: string, expected: Outcome, actual: Outcome, names = ['in memory', 'SQL']): void {
  if (isDeepStrictEqual(expected, actual)) return
  const lines = [`${names[0]} and ${names[1]} disagree on: ${text}`]
  if ('ids' in expected && 'ids' in actual) {
    const only = (a: readonly string[], b: readonly string[]) => a.filter((id) => !b.includes(id))
    const show = (id: string) => JSON.stringify(population.rendered.find((u) => u.id === id)?.resource)
    // A few users are enough to see why; the counts say how many.
    for (const [name, ids] of [
      [names[0], only(expected.ids, actual.ids)],
      [names[1], only(actual.ids, expected.ids)],
    ] as const) {
      if (ids.length > 0) lines.push(`  ${ids.length} only ${name}, e.g.:`, ...ids.slice(0, 3).map((id) => `    ${show(id)}`))
    }
  } else {
    lines.push(`  ${names[0]}: ${JSON.stringify(expected)}`, `  ${names[1]}: ${JSON.stringify(actual)}`)
  }
  throw new Error(lines.join('\n'))
}

async function agree(db: TestDatabase, population: Population, filter: Filter): Promise<Outcome> {
  const expected = inMemory(population, filter)
  assertSame(population, formatFilter(filter), expected, await inSql(db, population, filter))
  return expected
}

/**
 * Runs a property with the fixed seed. fast-check cannot shrink an and/or/not node into one of its
 * operands (they come from different arbitraries), so on failure `smaller` reduces the counterexample
 * further, greedily, while it still fails: the report shows the minimal case and why it fails.
 */
async function holds<T>(
  t: Test,
  arbitrary: fc.Arbitrary<T>,
  check: (value: T) => Promise<void>,
  smaller: (value: T) => Iterable<T> = () => [],
): Promise<void> {
  const started = performance.now()
  const details = await fc.check(fc.asyncProperty(arbitrary, check), { seed: SEED, numRuns: RUNS })
  const ms = Math.round(performance.now() - started)
  if (!details.failed || !details.counterexample) return void t.pass(`${details.numRuns} runs in ${ms} ms`)
  const failure = async (value: T): Promise<unknown> => {
    try {
      await check(value)
      return undefined
    } catch (error) {
      return error ?? 'failed'
    }
  }
  let [minimal] = details.counterexample
  let reduced = true
  while (reduced) {
    reduced = false
    for (const candidate of smaller(minimal)) {
      if (await failure(candidate)) {
        minimal = candidate
        reduced = true
        break
      }
    }
  }
  const error = await failure(minimal)
  const why = error instanceof Error ? `${error.message}${error.cause ? `\n  cause: ${inspect(error.cause)}` : ''}` : String(error)
  t.fail(
    `property failed after ${details.numRuns} runs (seed ${SEED}, path ${details.counterexamplePath})\nminimal counterexample: ${show(minimal)}\n${why}`,
  )
}

function show(value: unknown): string {
  return isFilter(value) ? formatFilter(value) : JSON.stringify(value)
}

function isFilter(value: unknown): value is Filter {
  return typeof value === 'object' && value !== null && 'kind' in value
}

/** Simpler filters than `f`: an operand in place of a node, or a string value one code point shorter. */
function* smallerFilters(f: Filter): Generator<Filter> {
  switch (f.kind) {
    case 'and':
    case 'or':
      yield f.left
      yield f.right
      for (const left of smallerFilters(f.left)) yield { ...f, left }
      for (const right of smallerFilters(f.right)) yield { ...f, right }
      return
    case 'not':
      yield f.filter
      for (const filter of smallerFilters(f.filter)) yield { ...f, filter }
      return
    case 'valuePath':
      for (const filter of smallerFilters(f.filter)) yield { ...f, filter }
      return
    case 'compare':
      if (typeof f.value === 'string') {
        const points = Array.from(f.value)
        for (let i = 0; i < points.length; i++) yield { ...f, value: [...points.slice(0, i), ...points.slice(i + 1)].join('') }
      }
      return
    case 'present':
      return
  }
}

function expectBadRequest(text: string, error: unknown): void {
  if (error instanceof ScimError && error.status === 400) return
  throw new Error(`${JSON.stringify(text)} threw something other than a ScimError 400`, { cause: error })
}

/** scim-query-filter-parser orders code units case-sensitively: it gets the attributes in lower case (see filter-arbitraries.ts). */
function lowered(resource: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...resource }
  for (const key of ['userName', 'displayName', 'title']) if (typeof copy[key] === 'string') copy[key] = copy[key].toLowerCase()
  return copy
}

/** A few users in a team of their own, for the fixed regression cases. */
function fixedTeam(db: TestDatabase, bodies: readonly Record<string, unknown>[]): Promise<Population> {
  const created = new Date('2026-03-01T10:00:00.000Z')
  const users = bodies.map((body) => ({ id: randomUUID(), body: { active: true, ...body }, created, lastModified: created }))
  return seedTeam(db, `fixed-${randomUUID().slice(0, 8)}`, users)
}

/** Both sides agree, and select `expected` (userNames), or both refuse the filter as invalidFilter. */
async function selects(t: Test, db: TestDatabase, population: Population, text: string, expected: readonly string[] | 'invalidFilter') {
  const outcome = await agree(db, population, parseFilter(text))
  if ('error' in outcome) return void t.equal(outcome.error.scimType, expected, text)
  t.same(
    population.records.filter((r) => outcome.ids.includes(r.id)).map((r) => r.userName),
    expected,
    text,
  )
}

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const population = await seedTeam(db, 'fuzz', seeds)
    const reference = await seedTeam(db, 'reference', referenceSeeds)

    t.test('SQL selects exactly the users the in-memory predicate selects', async (t) => {
      await holds(
        t,
        filterArbitrary(pools),
        async (tree) => {
          const text = formatFilter(tree)
          const filter = parseFilter(text)
          if (!isDeepStrictEqual(filter, tree)) throw new Error(`parseFilter(formatFilter(f)) is not f for: ${text}`)
          await agree(db, population, filter)
        },
        smallerFilters,
      )
    })

    t.test('scim-query-filter-parser agrees, on the shapes it evaluates correctly', async (t) => {
      await holds(t, referenceFilterArbitrary(), async (tree) => {
        const text = formatFilter(tree)
        const predicate = referenceCompile(text)
        const expected: Outcome = {
          ids: reference.rendered
            .filter((u) => predicate(lowered(u.resource)))
            .map((u) => u.id)
            .sort(),
        }
        assertSame(reference, text, expected, await inSql(db, reference, tree), ['scim-query-filter-parser', 'SQL'])
      })
    })

    t.test('malformed filter text is a ScimError 400, never a database error', async (t) => {
      const valid = filterArbitrary(pools, 2)
      const texts = fc.oneof(filterishText, mutatedText(valid.map(formatFilter)), unstorableValues(valid).map(formatFilter))
      await holds(t, texts, async (text) => {
        let filter: Filter
        try {
          filter = parseFilter(text)
        } catch (error) {
          return expectBadRequest(text, error)
        }
        try {
          await db.store.users.listUsers(population.teamId, { filter, startIndex: 1, count: 1000 })
        } catch (error) {
          expectBadRequest(text, error)
        }
      })
    })

    // Each of these failed before the fix named in its title; they run in every CI run whatever the seed.
    t.test('regression: "[...]" on a single-valued complex attribute tests its one value (filter-sql.ts elementsOf)', async (t) => {
      const team = await fixedTeam(db, [
        { userName: 'u1', name: { givenName: 'Ada' }, [ENT]: { manager: { value: 'boss-1' } } },
        { userName: 'u2', name: { givenName: 'Bo' } },
      ])
      await selects(t, db, team, 'name[givenName eq "ada"]', ['u1'])
      await selects(t, db, team, 'not (name[givenName pr])', [])
      await selects(t, db, team, `${ENT}:manager[value eq "boss-1"]`, ['u1'])
    })

    t.test('regression: gt/ge/lt/le order by code point, as the "C" collation does (evaluate.ts compareCodePoints)', async (t) => {
      const team = await fixedTeam(db, [
        { userName: 'emoji', title: '😀' },
        { userName: 'fullwidth', title: 'ｚ' },
        { userName: 'ascii', title: 'z' },
      ])
      // U+1F600 is a surrogate pair, and UTF-16 code units would put it before U+FF5A.
      await selects(t, db, team, 'title lt "ｚ"', ['ascii'])
      await selects(t, db, team, 'title gt "ｚ"', ['emoji'])
    })

    t.test('regression: a stored "" is not present (filter-sql.ts presentJson)', async (t) => {
      const team = await fixedTeam(db, [
        {
          userName: 'empty',
          title: '',
          externalId: '',
          name: { givenName: '' },
          emails: [{ value: '' }],
          [ENT]: { manager: { value: '' } },
        },
        {
          userName: 'full',
          title: 'x',
          externalId: 'e',
          name: { givenName: 'x' },
          emails: [{ value: 'x@x.io' }],
          [ENT]: { manager: { value: 'm' } },
        },
      ])
      for (const path of ['title', 'externalId', 'name', 'name.givenName', 'emails', 'emails.value', `${ENT}:manager`]) {
        await selects(t, db, team, `${path} pr`, ['full'])
        await selects(t, db, team, `${path} eq null`, ['empty'])
      }
      await selects(t, db, team, 'emails[value pr]', ['full'])
      await selects(t, db, team, 'title eq ""', ['empty'])
    })

    t.test(
      'regression: dateTimes before year 1 or after 9999 reach PostgreSQL in a form it reads (filter-sql.ts timestamptz)',
      async (t) => {
        const team = await fixedTeam(db, [{ userName: 'u1' }])
        await selects(t, db, team, 'meta.created gt "0000-01-01T00:00:00Z"', ['u1'])
        await selects(t, db, team, 'meta.lastModified ge "0001-01-01T00:00:00+00:01"', ['u1'])
        await selects(t, db, team, 'meta.created lt "9999-12-31T23:59:59-23:59"', ['u1'])
      },
    )

    t.test('regression: U+0000 and unpaired surrogates are invalid filter values (evaluate.ts UNSTORABLE)', async (t) => {
      const team = await fixedTeam(db, [{ userName: 'u1', title: '😀' }])
      await selects(t, db, team, 'title eq "\\u0000"', 'invalidFilter')
      await selects(t, db, team, 'userName co "a\\u0000"', 'invalidFilter')
      await selects(t, db, team, 'title co "\\ud83d"', 'invalidFilter')
      await selects(t, db, team, 'emails[value sw "\\ude00"]', 'invalidFilter')
      await selects(t, db, team, 'title co "\\ud83d\\ude00"', ['u1'])
    })
  })
}
