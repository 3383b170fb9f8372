import type { Test } from 'tap'
import { t } from '../helpers/file-test.js'
import { Writable } from 'node:stream'
import type { Level } from 'pino'
import { createLogger } from '../../src/http/logger.js'
import { scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases, type TestDatabase } from '../helpers/databases.js'

// What info-level lines may say about a request: its route, its status, the shape of its query; never
// a value a person could be found by (a userName, an email address, a name), wherever the client put it.

type Line = Record<string, unknown> & { level: number; msg: string }

async function loggedApp(t: Test, db: TestDatabase, level: Level) {
  const lines: Line[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Line)
      done()
    },
  })
  const app = await testApp(db, { logger: createLogger(level, sink) })
  t.teardown(() => app.close())
  return { app, lines }
}

const completed = (lines: Line[], reqId: string) => lines.find((l) => l.reqId === reqId && l.msg === 'request completed')

for (const db of await testDatabases(t)) {
  t.test(`${db.name}: info lines carry no personal data`, async (t) => {
    await db.reset()
    const { app, lines } = await loggedApp(t, db, 'info')
    const team = await scimTeam(app, 'privacy')
    const secrets = [
      'alice.private@example.com',
      'bob.hidden@example.com',
      'carol.secret@example.com',
      'carol.work@example.com',
      'Carolina',
      'Secret Group',
      'erin.secret@example.com',
      'frank.secret@example.com',
      'cursor-value-123',
    ]
    const rid = (id: string) => ({ 'x-request-id': id })

    await scim(app, team, 'GET', `/Users?filter=${encodeURIComponent('userName eq "alice.private@example.com"')}`, undefined, rid('eq'))
    await scim(
      app,
      team,
      'GET',
      `/Users?filter=${encodeURIComponent('emails[type eq "work" and value co "bob.hidden@example.com"] or not (title pr)')}&startIndex=1&count=10&attributes=userName`,
      undefined,
      rid('complex'),
    )
    await scim(app, team, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "Secret Group"')}`, undefined, rid('groups'))
    const user = {
      userName: 'carol.secret@example.com',
      name: { givenName: 'Carolina' },
      emails: [{ value: 'carol.work@example.com', primary: true }],
    }
    t.equal((await scim(app, team, 'POST', '/Users', user, rid('create'))).statusCode, 201)
    const conflict = await scim(app, team, 'POST', '/Users', user, rid('conflict'))
    t.equal(conflict.statusCode, 409)
    t.match(conflict.json().detail, /carol\.secret@example\.com/, 'the client is told which userName (the log is not)')
    t.equal(
      (
        await scim(
          app,
          team,
          'GET',
          `/Users?filter=${encodeURIComponent('userName eq "erin.secret@example.com" and (')}`,
          undefined,
          rid('invalid'),
        )
      ).statusCode,
      400,
    )
    t.equal((await scim(app, team, 'GET', '/Users/frank.secret@example.com', undefined, rid('by-name'))).statusCode, 404)
    t.equal((await scim(app, team, 'GET', '/Users/frank.secret@example.com/more', undefined, rid('no-route'))).statusCode, 404)
    await scim(app, team, 'GET', '/Users?cursor=cursor-value-123', undefined, rid('cursor'))

    const text = lines
      .filter((l) => l.level >= 30)
      .map((l) => JSON.stringify(l))
      .join('\n')
    // As written and as the URL carried it (percent-encoded).
    for (const secret of secrets) t.notOk(text.includes(secret) || text.includes(encodeURIComponent(secret)), `no ${secret} at info`)

    t.match(completed(lines, 'eq'), {
      req: { method: 'GET', route: '/scim/v2/:endpointId/Users', query: { filter: 'userName eq' } },
      res: { statusCode: 200 },
    })
    t.same((completed(lines, 'complex')?.req as { query: unknown }).query, {
      filter: 'emails[type eq and value co] or not (title pr)',
      startIndex: 1,
      count: 10,
      attributes: 'userName',
    })
    t.match(completed(lines, 'groups'), { req: { route: '/scim/v2/:endpointId/Groups', query: { filter: 'displayName eq' } } })
    t.match(completed(lines, 'invalid'), { req: { query: { filter: '[invalid]' } }, res: { statusCode: 400 } })
    t.match(completed(lines, 'by-name'), { req: { route: '/scim/v2/:endpointId/Users/:id' }, res: { statusCode: 404 } })
    t.notOk((completed(lines, 'no-route')?.req as { route?: string }).route, 'no route matched: no path at all')
    t.match(completed(lines, 'cursor'), { req: { query: { cursor: '[redacted]' } } })
    t.match(
      lines.find((l) => l.reqId === 'conflict' && l.msg === 'request rejected'),
      { status: 409, scimType: 'uniqueness', teamId: 'privacy' },
      'the rejection names its status and type',
    )
  })

  t.test(`${db.name}: probes write no line per call at info, only at debug`, async (t) => {
    for (const level of ['info', 'debug'] as const) {
      const { app, lines } = await loggedApp(t, db, level)
      for (let i = 0; i < 3; i++) {
        for (const url of ['/healthz', '/readyz', '/metrics']) t.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url)
      }
      const probeLines = lines.filter((l) => l.msg === 'request completed')
      t.equal(probeLines.length, level === 'info' ? 0 : 9, `${level}: ${probeLines.length} lines`)
      if (level === 'debug')
        t.ok(
          probeLines.every((l) => l.level === 20),
          'at debug level',
        )
    }
  })

  t.test(`${db.name}: a database failure is logged by its kind, without the values the statement carried`, async (t) => {
    await db.reset()
    const { app, lines } = await loggedApp(t, db, 'info')
    const team = await scimTeam(app, 'failing')
    // A real failure of the statement that looks the account up by email: the table is gone.
    await db.rows('alter table accounts rename to accounts_gone')
    t.teardown(() => db.rows('alter table accounts_gone rename to accounts'))
    const email = 'victim.secret@example.com'
    const res = await scim(
      app,
      team,
      'POST',
      '/Users',
      { userName: email, emails: [{ value: email, primary: true }] },
      { 'x-request-id': 'broken' },
    )
    t.equal(res.statusCode, 500)
    const failed = lines.find((l) => l.reqId === 'broken' && l.msg === 'request failed')
    t.ok(failed, 'the failure is logged at error level')
    const text = JSON.stringify(lines)
    t.notOk(text.includes('victim.secret'), 'no line carries the email the statement was given')
    const causes: Record<string, unknown>[] = []
    for (let err = failed?.err as Record<string, unknown> | undefined; err; err = err.cause as Record<string, unknown> | undefined)
      causes.push(err)
    t.ok(
      causes.some((c) => c.code === '42P01'),
      'the SQLSTATE is there',
    )
    t.ok(
      causes.some((c) => String(c.message).includes('accounts')),
      'and the statement or relation it failed on',
    )
    t.ok(
      causes.some((c) => String(c.stack).includes('\n    at ')),
      'with its stack',
    )
  })
}
