import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { request as httpRequest } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { until } from '../helpers/eventually.js'
import { freePort } from '../helpers/ports.js'
import { answersReady, STARTING } from '../helpers/replica.js'

/** The process as `npm start` runs it (through tsx here): first run, restart, bad config, SIGTERM. */

interface Running {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

function start(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += String(chunk)))
  child.stderr.on('data', (chunk) => (output += String(chunk)))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

const ready = (port: number) => until(() => answersReady(`http://127.0.0.1:${port}`), STARTING)

const dataDir = mkdtempSync(join(tmpdir(), 'scim-process-'))
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))

t.test('first run on PGlite: generates and prints the admin token once; SIGTERM finishes in-flight requests', async (t) => {
  const port = await freePort()
  const server = start({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' })
  t.teardown(() => server.child.kill('SIGKILL'))
  t.ok(await ready(port), 'ready')
  const token = /cpadmin_[A-Za-z0-9_-]{43}/.exec(server.output())?.[0]
  t.ok(token, 'the generated admin token is printed')
  t.match(server.output(), /compound-scim ready/)
  const put = await fetch(`http://127.0.0.1:${port}/internal/v1/teams/proc`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'P', owner: { email: 'o@p.io' } }),
  })
  t.equal(put.status, 201)
  t.equal(server.output().split(token!).length - 1, 1, 'the token appears once in all output, never in the logs')

  // A request the server is already reading when SIGTERM arrives: its body is still being sent.
  const body = JSON.stringify({ name: 'Renamed during shutdown', owner: { email: 'o@p.io' } })
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'PUT',
    path: '/internal/v1/teams/proc',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  })
  const response = new Promise<number | string>((resolve) => {
    request.on('response', (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    request.on('error', (error: Error & { code?: string }) => resolve(error.code ?? 'error'))
  })
  request.write(body.slice(0, 10))
  await new Promise((r) => setTimeout(r, 300))
  server.child.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 300))
  const late = await fetch(`http://127.0.0.1:${port}/healthz`).then(
    (r) => r.status,
    (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? 'error',
  )
  t.ok(late === 503 || late === 'ECONNREFUSED', `a new request during shutdown is refused cleanly (${late})`)
  request.end(body.slice(10))
  t.equal(await response, 200, 'the in-flight request completed')
  t.equal(await server.exited, 0, 'exits cleanly')
})

t.test('a restart keeps the data and does not print the token again', async (t) => {
  const port = await freePort()
  const server = start({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' })
  t.teardown(() => server.child.kill('SIGKILL'))
  t.ok(await ready(port))
  t.notMatch(server.output(), /cpadmin_/)
  t.match(server.output(), /generated at first start/)
  server.child.kill('SIGINT')
  t.equal(await server.exited, 0)
})

t.test('bad configuration stops the process with one line per problem', async (t) => {
  const server = start({ PORT: 'eighty', LOG_LEVEL: 'loud', DATA_DIR: dataDir })
  t.equal(await server.exited, 2)
  t.match(server.output(), /PORT: /)
  t.match(server.output(), /LOG_LEVEL: /)
})
