#!/usr/bin/env node
/**
 * `npm test`: every test file, in two runs of tap.
 *
 * 1. Every file .taprc includes but the two that time the event loop, as many at once as there are
 *    CPUs: the groups of test/groups (the unit tests; the files that need a database, several to a
 *    process) and the process tests. (tap's own default leaves one CPU free, which on a two-CPU machine
 *    runs one file at a time.)
 * 2. Those two, alone and one after the other: they hold each request to a 100 ms event-loop budget,
 *    which a test file running beside them on the same cores breaks for reasons not the service's.
 *
 * Arguments go to tap (give a flag's value with `=`). Naming test files runs just those, in one run, as
 * tap would. `--without-event-loop-budgets` leaves out the second run (under coverage, whose
 * instrumentation slows what they time). The exit status is non-zero when either run failed.
 */
import { spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

const EVENT_LOOP_BUDGETS = ['test/http/costly-input.test.ts', 'test/http/hostile-input.test.ts']
const SKIP_BUDGETS = '--without-event-loop-budgets'

const args = process.argv.slice(2)
const tapArgs = args.filter((arg) => arg !== SKIP_BUDGETS)
const tap = (list) => {
  const run = spawnSync('npx', ['tap', ...list], { stdio: 'inherit' })
  return run.status ?? 1
}

if (tapArgs.some((arg) => !arg.startsWith('-'))) process.exit(tap(tapArgs))

const jobs = tapArgs.some((arg) => /^(--jobs|-j)/.test(arg)) ? [] : [`--jobs=${availableParallelism()}`]
const rest = tap([...jobs, ...EVENT_LOOP_BUDGETS.map((file) => `--exclude=${file}`), ...tapArgs])
const budgets = args.includes(SKIP_BUDGETS) ? 0 : tap(['--jobs=1', ...tapArgs, ...EVENT_LOOP_BUDGETS])
process.exit(rest || budgets)
