import type { Test } from 'tap'
import { t } from '../helpers/file-test.js'
import { connect, type Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { MAX_DRAINING } from '../../src/http/connection-close.js'
import { admin, ADMIN_TOKEN, scim, scimTeam, testApp, type ScimTeam } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

// Errors answered outside the routes: the router's (414), Node's HTTP parser's (431, 414) and the body
// limit's (413), each in the dialect of its URL, and each readable by a client over a real connection.

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'
const MiB = 1024 * 1024

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    const team = await scimTeam(app, 'transport')
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    const origin = `http://127.0.0.1:${port}`

    t.test("path segments up to the contracts' 128 characters reach the routes; longer ones are 414 in the dialect", (t) =>
      pathLengths(t, app, team),
    )

    t.test("Node's 431 and 414 leave in the dialect of the URL", async (t) => {
      const bigHeader = `X-Padding: ${'a'.repeat(20_000)}\r\n`
      const scimHead = await rawExchange(port, [`GET ${team.base}/Users HTTP/1.1\r\nHost: x\r\n${bigHeader}\r\n`])
      t.equal(scimHead.status, 431)
      t.match(scimHead.headers, /content-type: application\/scim\+json/i)
      t.match(scimHead.headers, /connection: close/i)
      t.same(JSON.parse(scimHead.body).schemas, [SCIM_ERROR])
      t.equal(JSON.parse(scimHead.body).status, '431')

      const adminHead = await rawExchange(port, [`GET /internal/v1/teams/transport/members HTTP/1.1\r\nHost: x\r\n${bigHeader}\r\n`])
      t.equal(adminHead.status, 431)
      t.same(JSON.parse(adminHead.body), { error: { code: 'headers_too_large', message: JSON.parse(adminHead.body).error.message } })

      const longLine = await rawExchange(port, [`GET ${team.base}/Users?filter=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`])
      t.equal(longLine.status, 414, 'a request line alone over the limit is 414')
      t.equal(JSON.parse(longLine.body).status, '414')

      // The head in several pieces: the piece the parser fails on no longer holds the request line.
      const pieces = await rawExchange(port, [
        `GET /internal/v1/teams/transport/members HTTP/1.1\r\nHost: x\r\n`,
        `X-Padding: ${'a'.repeat(9_000)}`,
        `${'a'.repeat(9_000)}\r\n\r\n`,
      ])
      t.equal(pieces.status, 431)
      const both = JSON.parse(pieces.body)
      t.match(
        both,
        { schemas: [SCIM_ERROR], status: '431', error: { code: 'headers_too_large' } },
        'without the URL, the body carries both dialects',
      )

      const viaFetch = await fetch(`${origin}${team.base}/Users`, {
        headers: { authorization: `Bearer ${team.token}`, 'x-padding': 'a'.repeat(20_000) },
      })
      t.equal(viaFetch.status, 431)
      t.equal(((await viaFetch.json()) as { status: string }).status, '431', 'fetch reads it')
    })

    t.test('a body over the limit is a 413 the client reads, over fetch and from a client that writes before it reads', async (t) => {
      for (let round = 0; round < 3; round++) {
        for (const size of [5 * MiB, 50 * MiB]) {
          // With a Content-Length (refused before reading) and chunked (refused once 1 MiB was read).
          for (const streamed of [false, true]) {
            const res = await fetch(`${origin}${team.base}/Users`, {
              method: 'POST',
              headers: { authorization: `Bearer ${team.token}`, 'content-type': 'application/scim+json' },
              body: streamed ? chunked(size) : Buffer.alloc(size, 'a'),
              duplex: 'half',
            })
            t.equal(res.status, 413, `${size / MiB} MB${streamed ? ' chunked' : ''}, round ${round + 1}`)
            t.equal(res.headers.get('connection'), 'close')
            t.match(await res.json(), { schemas: [SCIM_ERROR], status: '413' })
          }
        }
      }
      const adminRes = await fetch(`${origin}/internal/v1/teams/transport`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: Buffer.alloc(5 * MiB, 'a'),
      })
      t.equal(adminRes.status, 413)
      t.same(((await adminRes.json()) as { error: { code: string } }).error.code, 'payload_too_large')

      // Many HTTP clients send the whole body before reading: closing at once would reset the
      // connection under them (EPIPE), the 413 unread.
      for (const size of [5 * MiB, 50 * MiB]) {
        const head = `POST ${team.base}/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${team.token}\r\nContent-Type: application/scim+json\r\nContent-Length: ${size}\r\n\r\n`
        const res = await rawExchange(port, [head, Buffer.alloc(size, 'a')], { readAfterWriting: true })
        t.equal(res.status, 413, `write-first client, ${size / MiB} MB`)
        t.equal(JSON.parse(res.body).status, '413')
      }
      t.equal((await scim(app, team, 'GET', '/Users')).json().totalResults, 0, 'nothing was created')
    })

    t.test(`at most ${MAX_DRAINING} connections drain a refused body at once; past that a 413 closes its connection`, async (t) => {
      const connections = () =>
        new Promise<number>((resolve, reject) => app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))))
      // Waits for the count to reach `expected`, for less than a drain lasts (10 s) unless told otherwise.
      const settled = async (expected: number, within = 2_000) => {
        for (let waited = 0; waited < within && (await connections()) !== expected; waited += 50)
          await new Promise((r) => setTimeout(r, 50))
        return connections()
      }
      t.equal(await settled(0, 12_000), 0, 'the connections of the tests before are gone')
      // No token and no route: a 413 is anyone's for the asking. Each client keeps sending, never ends.
      const clients: Socket[] = []
      t.teardown(() => clients.forEach((client) => client.destroy()))
      for (let i = 0; i < MAX_DRAINING + 8; i++) clients.push(await refusedUpload(port))
      t.equal(await settled(MAX_DRAINING), MAX_DRAINING, `${MAX_DRAINING} connections drain; the ${8} after them were closed once answered`)
      for (const client of clients.splice(0)) client.destroy()
      t.equal(await settled(0), 0)
      clients.push(await refusedUpload(port))
      await new Promise((r) => setTimeout(r, 200))
      t.equal(await connections(), 1, 'a drain ended frees its place')
    })
  })
}

/**
 * A POST over the body limit to an unknown path, without a token, from a client that goes on sending
 * after the response (half-open: the server's FIN does not end its side). Resolves with the connection
 * once the 413 arrived.
 */
function refusedUpload(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    socket.on('error', () => {}) // a connection closed under a write: what the test counts, not a failure
    socket.once('data', (chunk: Buffer) =>
      /^HTTP\/1\.1 413/.test(chunk.toString('latin1')) ? resolve(socket) : reject(new Error(chunk.toString('latin1', 0, 200))),
    )
    socket.write(`POST /nope HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${2 * MiB}\r\n\r\n`)
    socket.write(Buffer.alloc(64 * 1024, 'a'))
  })
}

async function pathLengths(t: Test, app: FastifyInstance, team: ScimTeam): Promise<void> {
  const longest = `t${'x'.repeat(127)}`
  const created = await admin(app, 'PUT', `/teams/${longest}`, { body: { name: 'Long', owner: { email: 'o@long.example' } } })
  t.equal(created.statusCode, 201, 'a 128-character team id is accepted')
  t.equal((await admin(app, 'GET', `/teams/${longest}/members`)).statusCode, 200)

  const tooLong = await admin(app, 'GET', `/teams/${longest}x/members`)
  t.equal(tooLong.statusCode, 414)
  t.equal(tooLong.json().error.code, 'uri_too_long')

  const scimTooLong = await scim(app, team, 'GET', `/Users/${'u'.repeat(129)}`)
  t.equal(scimTooLong.statusCode, 414)
  t.match(scimTooLong.headers['content-type'], /^application\/scim\+json/)
  t.match(scimTooLong.json(), { schemas: [SCIM_ERROR], status: '414' })
  const endpointTooLong = await scim(app, { ...team, base: `/scim/v2/${'e'.repeat(129)}` }, 'GET', '/Users')
  t.equal(endpointTooLong.statusCode, 414)
  t.equal(endpointTooLong.json().status, '414')

  const badEncoding = await app.inject({
    method: 'GET',
    url: `${team.base}/Users/%E0%A4%A`,
    headers: { authorization: `Bearer ${team.token}` },
  })
  t.equal(badEncoding.statusCode, 400)
  t.match(badEncoding.json(), { schemas: [SCIM_ERROR], status: '400' }, 'a bad percent-encoding is a SCIM 400')

  const unknown = await scim(app, team, 'GET', '/Nothing')
  t.equal(unknown.statusCode, 404)
  t.match(unknown.json(), { schemas: [SCIM_ERROR], status: '404' }, 'an unknown SCIM route is a SCIM 404')
}

function chunked(size: number): ReadableStream<Uint8Array> {
  const piece = Buffer.alloc(64 * 1024, 'a')
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close()
      controller.enqueue(piece)
      sent += piece.length
    },
  })
}

interface RawResponse {
  status: number
  headers: string
  body: string
}

/**
 * Writes `pieces` on a fresh connection (a pause between them, so each reaches the server on its own)
 * and reads the response. With `readAfterWriting`, nothing is read until every byte was written, as a
 * client that sends its whole request first does.
 */
function rawExchange(port: number, pieces: (string | Buffer)[], options: { readAfterWriting?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('error', (error) =>
      reject(new Error(`connection failed after ${Buffer.concat(chunks).length} response bytes: ${String(error)}`)),
    )
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [head = '', body = ''] = text.split('\r\n\r\n')
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body })
      socket.end()
    })
    if (options.readAfterWriting) socket.pause()
    const write = async () => {
      for (const [index, piece] of pieces.entries()) {
        if (index > 0 && !options.readAfterWriting) await new Promise((r) => setTimeout(r, 50))
        await new Promise<void>((done) => socket.write(piece, () => done()))
      }
      socket.resume()
    }
    void write()
  })
}
