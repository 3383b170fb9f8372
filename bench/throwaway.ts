import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/**
 * What a bench leaves behind, undone at its end in reverse order (`cleanUp`, in a finally), also when the
 * run fails: no cluster, database or temporary directory is left. Each step gets 10 s: one that hangs must
 * not keep the throwaway cluster running.
 */
export const cleanups: (() => unknown)[] = []

export async function cleanUp(): Promise<void> {
  for (const undo of cleanups.splice(0).reverse()) {
    try {
      await Promise.race([undo(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 10_000).unref())])
    } catch (error) {
      process.stderr.write(`cleanup: ${String(error)}\n`)
    }
  }
}

/** The throwaway cluster, stopped on any exit too (a crash skips the caller's finally). */
let clusterDir: string | undefined
process.on('exit', () => {
  if (clusterDir) execFileSync('bash', ['scripts/pg-cluster.sh', 'stop', clusterDir])
})

/**
 * A new database named `prefix` and the time, dropped by `cleanUp`: on BENCH_DATABASE_URL's server, or,
 * unset, on a throwaway cluster of its own (scripts/pg-cluster.sh: fsync off, on a free port). Its URL.
 */
export async function benchDatabaseUrl(prefix: string): Promise<string> {
  let adminUrl = process.env.BENCH_DATABASE_URL
  if (!adminUrl) {
    const cluster = mkdtempSync(join(tmpdir(), `${prefix.replace(/_/g, '-')}-`))
    cleanups.push(() => rmSync(cluster, { recursive: true, force: true }))
    execFileSync('chmod', ['755', cluster])
    const port = execFileSync('node', ['scripts/free-port.mjs']).toString().trim()
    adminUrl = execFileSync('bash', ['scripts/pg-cluster.sh', 'start', join(cluster, 'pg'), port])
      .toString()
      .trim()
    clusterDir = join(cluster, 'pg')
    cleanups.push(() => {
      execFileSync('bash', ['scripts/pg-cluster.sh', 'stop', join(cluster, 'pg')])
      clusterDir = undefined
    })
  }
  const name = `${prefix}_${Date.now()}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  cleanups.push(() => admin.end())
  await admin.query(`create database ${name}`)
  cleanups.push(() => admin.query(`drop database ${name} with (force)`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** The median; with an even count, the mean of the middle two. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
