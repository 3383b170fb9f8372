import { spawnSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { t } from '../helpers/file-test.js'
import { until } from '../helpers/eventually.js'
import { AUDIT_PRUNE_BATCH_SIZE, scheduleAuditPruning } from '../../src/audit-retention.js'
import type { EventStore } from '../../src/store/event-store.js'
import type { AuditLog } from '../../src/store/audit-log.js'

// The replicas' schedule around the store's prune (test/store/audit-retention.test.ts holds the prune
// itself to its contract on both databases): when it runs, with which cutoff, and that it stops.

const NOW = new Date('2026-06-01T00:00:00.000Z')

/** The schedules here run every 5-50 ms: look often. */
const OFTEN = { everyMs: 5, timeoutMs: 5_000 }

function recordingStore(deleted = 3) {
  const calls: { olderThan: Date; batchSize: number; signal: AbortSignal | undefined }[] = []
  const store = {
    pruneAuditEvents: async (olderThan: Date, batchSize: number, signal?: AbortSignal) => {
      calls.push({ olderThan, batchSize, signal })
      return deleted
    },
  } as unknown as AuditLog
  return { store, calls }
}

function recordingLog() {
  const lines: { level: string; details: object; message: string }[] = []
  return {
    lines,
    info: (details: object, message: string) => lines.push({ level: 'info', details, message }),
    warn: (details: object, message: string) => lines.push({ level: 'warn', details, message }),
  }
}

t.test('once shortly after start, then on every interval, with the retention cutoff', async (t) => {
  const { store, calls } = recordingStore()
  const log = recordingLog()
  const pruning = scheduleAuditPruning({ store, retentionDays: 30, log, clock: () => NOW, firstAfterMs: 200, everyMs: 50 })
  t.teardown(() => pruning.stop())
  await sleep(20)
  t.equal(calls.length, 0, 'not at once: start-up first')
  t.ok(await until(() => calls.length >= 3, OFTEN), 'the first run, then every interval')
  t.same(calls[0]!.olderThan, new Date('2026-05-02T00:00:00.000Z'), '30 days before now')
  t.equal(calls[0]!.batchSize, AUDIT_PRUNE_BATCH_SIZE)
  t.match(log.lines[0], { level: 'info', details: { deleted: 3, retentionDays: 30 }, message: 'audit events pruned' })
})

t.test('stop() ends the schedule and aborts a run in progress', async (t) => {
  const { store, calls } = recordingStore()
  const pruning = scheduleAuditPruning({ store, retentionDays: 30, log: recordingLog(), clock: () => NOW, firstAfterMs: 10, everyMs: 20 })
  t.ok(await until(() => calls.length >= 1, OFTEN), 'a run started')
  pruning.stop()
  const runs = calls.length
  t.ok(calls[0]!.signal?.aborted, 'the store sees the abort between its statements')
  await sleep(60)
  t.equal(calls.length, runs, 'no run after stop()')
})

t.test('retention 0 schedules nothing', async (t) => {
  const { store, calls } = recordingStore()
  const pruning = scheduleAuditPruning({ store, retentionDays: 0, log: recordingLog(), firstAfterMs: 1, everyMs: 5 })
  await sleep(30)
  pruning.stop()
  t.equal(calls.length, 0)
})

t.test('a failed run is logged as a warning and the next one still runs', async (t) => {
  let runs = 0
  const store = {
    pruneAuditEvents: async () => {
      runs++
      throw new Error('database unavailable')
    },
  } as unknown as AuditLog
  const log = recordingLog()
  const pruning = scheduleAuditPruning({ store, retentionDays: 30, log, firstAfterMs: 5, everyMs: 20 })
  t.teardown(() => pruning.stop())
  t.ok(await until(() => runs >= 2, OFTEN), 'a second run after the failed one')
  t.match(log.lines[0], { level: 'warn', message: 'audit pruning failed; the next run retries' })
})

t.test('the change events are pruned even when the audit log prune fails, and their failure is named', async (t) => {
  const store = {
    pruneAuditEvents: async () => {
      throw new Error('database unavailable')
    },
  } as unknown as AuditLog
  let changeRuns = 0
  const events = {
    pruneChanges: async () => {
      changeRuns++
      if (changeRuns > 1) throw new Error('lost connection')
      return 4
    },
  } as unknown as EventStore
  const log = recordingLog()
  const pruning = scheduleAuditPruning({
    store,
    retentionDays: 30,
    events: { store: events, retentionDays: 30 },
    log,
    firstAfterMs: 5,
    everyMs: 20,
  })
  t.teardown(() => pruning.stop())
  t.ok(await until(() => changeRuns >= 2 && log.lines.length >= 4, OFTEN), 'two rounds of both prunes')
  t.match(log.lines.slice(0, 4), [
    { level: 'warn', message: 'audit pruning failed; the next run retries' },
    { level: 'info', details: { deleted: 4, retentionDays: 30 }, message: 'change events pruned' },
    { level: 'warn', message: 'audit pruning failed; the next run retries' },
    { level: 'warn', message: 'change event pruning failed; the next run retries' },
  ])
})

t.test('the timers never keep a process alive', async (t) => {
  // With the defaults (a minute, then hourly): a process with nothing else to do exits at once.
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "import { scheduleAuditPruning } from './src/audit-retention.ts'; scheduleAuditPruning({ store: { pruneAuditEvents: async () => 0 }, retentionDays: 90, log: console })",
    ],
    { cwd: new URL('../..', import.meta.url), timeout: 10_000, encoding: 'utf8' },
  )
  t.equal(child.error, undefined, 'the process exited by itself (not killed at the timeout)')
  t.equal(child.status, 0, child.stderr)
})
