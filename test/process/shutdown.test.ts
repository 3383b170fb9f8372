import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request as httpRequest, type ClientRequest } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import type { Stores } from '../../src/store/stores.js'
import { throwawayDatabase } from '../helpers/databases.js'
import { until } from '../helpers/eventually.js'
import { freePort } from '../helpers/ports.js'
import { answersReady, STARTING } from '../helpers/replica.js'

/**
 * SIGTERM while requests are in flight: they complete, their responses
 * say `Connection: close`, and the process exits 0 within seconds of the last one instead of waiting
 * out the keep-alive timeout (72 s) until Compose or Kubernetes kills it; a request that never
 * finishes meets SHUTDOWN_TIMEOUT_MS and a non-zero exit. The process runs through tsx as in
 * server.test.ts, on PostgreSQL when TEST_DATABASE_URL is set (where the issue was seen), else on PGlite.
 */
const adminUrl = process.env.TEST_DATABASE_URL
const ADMIN = 'shutdown-admin-token-0123456789abcdefghij'

async function databaseEnv(t: Test): Promise<Record<string, string>> {
  if (!adminUrl) {
    const dataDir = mkdtempSync(join(tmpdir(), 'scim-shutdown-'))
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
    return { DATA_DIR: dataDir }
  }
  return { DATABASE_URL: await throwawayDatabase(t, 'scim_shutdown') }
}

interface Running {
  port: number
  child: ChildProcess
  output: () => string
  /** Exit code, and when it happened (performance.now()). */
  exited: Promise<{ code: number | null; at: number }>
}

async function start(t: Test, env: Record<string, string>): Promise<Running> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', ADMIN_API_TOKEN: ADMIN, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => void child.kill('SIGKILL'))
  let output = ''
  child.stdout.on('data', (chunk) => (output += String(chunk)))
  child.stderr.on('data', (chunk) => (output += String(chunk)))
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, at: performance.now() })),
  )
  if (await until(() => answersReady(`http://127.0.0.1:${port}`), STARTING)) return { port, child, output: () => output, exited }
  throw new Error(`the service did not become ready:\n${output}`)
}

/** The exit, or 'still running' after `ms`: a process stuck on keep-alive connections must fail the test, not hang it. */
async function exitWithin(server: Running, ms: number): Promise<{ code: number | null; at: number } | 'still running'> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), ms)))
  try {
    return await Promise.race([server.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

interface Answer {
  status: number
  connection: string | undefined
  at: number
}

/** A PUT whose body is held back after its first bytes: in flight, from the server's side, until `finish()`. */
function heldRequest(
  port: number,
  agent: Agent,
  path: string,
  body: string,
): { request: ClientRequest; finish: () => void; answer: Promise<Answer> } {
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    agent,
    method: 'PUT',
    path,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  })
  const answer = new Promise<Answer>((resolve, reject) => {
    request.on('response', (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, at: performance.now() }))
    })
    request.on('error', reject)
  })
  request.write(body.slice(0, 5))
  return { request, finish: () => request.end(body.slice(5)), answer }
}

t.test('SIGTERM with requests in flight: they complete with Connection: close, then the process exits 0 within 5 s', async (t) => {
  const server = await start(t, await databaseEnv(t))
  const agent = new Agent({ keepAlive: true, maxSockets: 50 })
  t.teardown(() => agent.destroy())

  // An idle keep-alive connection, as a load balancer or an IdP's HTTP client keeps one.
  const idle = await fetchThrough(server.port, agent, '/healthz')
  t.equal(idle.status, 200)

  const held = Array.from({ length: 20 }, (_, i) =>
    heldRequest(
      server.port,
      agent,
      `/internal/v1/teams/drain-${i}`,
      JSON.stringify({ name: `Drain ${i}`, owner: { email: `o${i}@drain.io` } }),
    ),
  )
  // A readiness probe whose request line has arrived but not the end of its headers: in flight too,
  // so it is answered during the drain rather than closed as idle.
  const probe = connect(server.port, '127.0.0.1')
  let probeReply = ''
  probe.on('data', (chunk) => (probeReply += String(chunk)))
  const probeClosed = new Promise<void>((resolve) => probe.on('close', () => resolve()))
  probe.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n')
  // The server must have read every held request's headers before the signal.
  await new Promise((r) => setTimeout(r, 1_000))

  server.child.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 500))
  t.equal(server.child.exitCode, null, 'still running while requests are in flight')
  probe.write('\r\n')
  await probeClosed
  t.match(probeReply, /^HTTP\/1\.1 503 /, '/readyz answers 503 during the drain')
  t.match(probeReply, /\r\nconnection: close\r\n/i, 'and closes its connection')

  for (const h of held) h.finish()
  const answers = await Promise.all(held.map((h) => h.answer))
  t.same(
    answers.map((a) => a.status),
    answers.map(() => 201),
    'every in-flight request completed',
  )
  t.same(
    answers.map((a) => a.connection),
    answers.map(() => 'close'),
    'every in-flight response carries Connection: close',
  )
  const last = Math.max(...answers.map((a) => a.at))

  const exit = await exitWithin(server, 15_000)
  if (exit === 'still running')
    return t.fail('the process is still running 15 s after its last in-flight response', { output: server.output() })
  t.equal(exit.code, 0, 'exits 0')
  t.ok(exit.at - last < 5_000, `exits within 5 s of its last in-flight response (${Math.round(exit.at - last)} ms)`)
})

t.test('a request that never finishes: the process exits non-zero at SHUTDOWN_TIMEOUT_MS', async (t) => {
  const server = await start(t, { ...(await databaseEnv(t)), SHUTDOWN_TIMEOUT_MS: '2000' })
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  // Its body never completes: only Fastify's 30-second request timeout would ever end it.
  const stuck = heldRequest(
    server.port,
    agent,
    '/internal/v1/teams/stuck',
    JSON.stringify({ name: 'Stuck', owner: { email: 'o@stuck.io' } }),
  )
  stuck.answer.catch(() => undefined)
  await new Promise((r) => setTimeout(r, 1_000))

  const signalled = performance.now()
  server.child.kill('SIGTERM')
  const exit = await exitWithin(server, 20_000)
  if (exit === 'still running') return t.fail('the process is still running 20 s after SIGTERM', { output: server.output() })
  t.not(exit.code, 0, 'exits non-zero: the drain did not finish')
  const elapsed = exit.at - signalled
  t.ok(elapsed >= 1_500, `not before the deadline (${Math.round(elapsed)} ms)`)
  t.ok(elapsed < 10_000, `soon after the 2 s deadline (${Math.round(elapsed)} ms)`)
  t.match(server.output(), /shutdown deadline passed/)
})

t.test('/readyz answers 503 once draining, while /healthz stays 200', async (t) => {
  let draining = false
  // Neither route touches the store; a readiness check that passes isolates the draining flag.
  const app = await buildApp({
    store: {} as Stores,
    ping: async () => undefined,
    draining: () => draining,
    adminTokenHash: 'x',
    publicBaseUrl: 'http://x',
  })
  t.teardown(() => app.close())
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
  draining = true
  const readyz = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(readyz.statusCode, 503)
  t.same(readyz.json(), { status: 'unavailable', reason: 'shutting down' })
  t.equal(
    (await app.inject({ method: 'GET', url: '/healthz' })).statusCode,
    200,
    'alive: a liveness probe must not kill a draining process',
  )
})

function fetchThrough(port: number, agent: Agent, path: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, agent, path }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }))
    })
      .on('error', reject)
      .end()
  })
}
