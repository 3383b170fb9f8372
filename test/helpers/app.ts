import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/app.js'
import { hashToken } from '../../src/auth/tokens.js'
import { createMetrics } from '../../src/http/metrics.js'
import type { TestDatabase } from './databases.js'
import { ChangeSignal } from '../../src/events/change-signal.js'
import { PgEventStore } from '../../src/store/pg/pg-event-store.js'

export const ADMIN_TOKEN = 'cpadmin_test-admin-token-0123456789abcdefghijklmnop'
export const BASE_URL = 'https://scim.example.test'
/** What CURSOR_SECRET would be: tests can sign cursors as the service does (or with another key). */
export const CURSOR_KEY = 'test-cursor-key-0123456789abcdefghijklmnop'

/** Every option buildApp takes. */
export type AppOptions = Parameters<typeof buildApp>[0]

/**
 * The service as the tests build it, on `db` (its store, its readiness ping, its change events): the admin
 * token, metrics, the change feed and a fixed cursor key. `overrides` replaces any option (a store double,
 * a logger, a rate limit, a clock); an option overridden with undefined is left out, as production leaves
 * it out when unconfigured (`metrics: undefined`: no /metrics route).
 */
export async function testApp(
  db: Pick<TestDatabase, 'database'> & { store: AppOptions['store'] },
  overrides: Partial<AppOptions> = {},
): Promise<FastifyInstance> {
  return buildApp({
    // Metrics on, as in production: /metrics is part of the route set the contract test compares.
    metrics: { metrics: createMetrics() },
    store: db.store,
    ping: () => db.database.ping(),
    adminTokenHash: hashToken(ADMIN_TOKEN),
    cursorKey: CURSOR_KEY,
    publicBaseUrl: BASE_URL,
    events: { store: new PgEventStore(db.database.db), signal: new ChangeSignal(), pollMs: 50 },
    ...overrides,
  })
}

type Body = InjectOptions['payload']

/** An admin API call with the admin credential (and an actor when given). */
export function admin(
  app: FastifyInstance,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  url: string,
  options: { body?: Body; actor?: string; token?: string | null } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {}
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? ADMIN_TOKEN}`
  if (options.actor) headers['x-actor-id'] = options.actor
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  return app.inject({ method, url: `/internal/v1${url}`, headers, ...(options.body !== undefined ? { payload: options.body } : {}) })
}

export interface ScimTeam {
  teamId: string
  ownerAccountId: string
  ownerEmail: string
  endpointId: string
  token: string
  /** "/scim/v2/{endpointId}" without the trailing slash. */
  base: string
}

/** A team with an Owner, active SSO and SCIM enabled: what an IdP integration starts from. */
export async function scimTeam(app: FastifyInstance, teamId: string, ownerEmail = `owner@${teamId}.example`): Promise<ScimTeam> {
  const team = await admin(app, 'PUT', `/teams/${teamId}`, { body: { name: `Team ${teamId}`, owner: { email: ownerEmail } } })
  const ownerAccountId = team.json().ownerAccountId as string
  await admin(app, 'PUT', `/teams/${teamId}/sso`, { body: { protocol: 'saml' } })
  const enabled = await admin(app, 'POST', `/teams/${teamId}/scim`, { actor: ownerAccountId })
  if (enabled.statusCode !== 201) throw new Error(`enable failed: ${enabled.statusCode} ${enabled.body}`)
  const { endpointId, token } = enabled.json<{ endpointId: string; token: string }>()
  return { teamId, ownerAccountId, ownerEmail, endpointId, token, base: `/scim/v2/${endpointId}` }
}

/** A SCIM call as an identity provider makes it. */
export function scim(
  app: FastifyInstance,
  team: Pick<ScimTeam, 'token' | 'base'>,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url: `${team.base}${path}`,
    headers: {
      authorization: `Bearer ${team.token}`,
      ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  })
}
