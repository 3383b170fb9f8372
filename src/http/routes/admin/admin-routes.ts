import bearerAuth from '@fastify/bearer-auth'
import type { FastifyInstance } from 'fastify'
import { actorId, EventsQuery, parseInput, SsoBody, TeamBody, teamIdParam } from './admin-input.js'
import { eventRoutes, type EventRouteDeps } from './event-routes.js'
import { rollingTokenCheck } from '../../../auth/admin-token.js'
import type { Clock } from '../../../clock.js'
import type { ScimConnections } from '../../../provisioning/scim-connections.js'
import type { TeamDirectory } from '../../../provisioning/team-directory.js'

export interface AdminRouteDeps {
  adminTokenHash: string
  /** ADMIN_API_TOKEN_PREVIOUS's hash while the token is rolled out to every replica. */
  adminTokenPreviousHash?: string | undefined
  clock?: Clock
  directory: TeamDirectory
  connections: ScimConnections
  /** The change feed (`/events`) and the teams' webhook routes; absent, they are not served. */
  events?: EventRouteDeps
}

/**
 * The internal admin API the Compound app calls: teams and their SSO state, and a team's SCIM connection
 * (enable, rotate, disable, status, audit events), which only the team's Owner (X-Actor-Id) manages.
 * Closed without the admin bearer token. Handlers: parse -> call -> send.
 */
export async function adminRoutes(app: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const adminToken = rollingTokenCheck(
    { current: deps.adminTokenHash, previous: deps.adminTokenPreviousHash },
    'a previous admin token was used; finish the roll',
    deps.clock,
  )
  await app.register(bearerAuth, {
    keys: [],
    // Decorate only, and call it from our hook: a refusal then goes through the one error boundary.
    addHook: false,
    specCompliance: 'rfc6749',
    verifyErrorLogLevel: 'info',
    auth: (token, request) => adminToken(token, request.log),
    errorResponse: (error: Error) => ({ error: error.message }),
  })
  app.addHook('onRequest', (request, reply, done) => app.verifyBearerAuth!(request, reply, done))

  const team = teamIdParam

  // Registered under this plugin: the admin credential's hook covers them.
  if (deps.events) await app.register(eventRoutes, deps.events)

  app.put('/teams/:teamId', async (request, reply) => {
    const teamId = team(request.params)
    const body = parseInput(TeamBody, request.body, 'body')
    const { created, ownerAccountId } = await deps.directory.upsertTeam(teamId, body)
    return reply.code(created ? 201 : 200).send({ teamId, ownerAccountId })
  })

  app.put('/teams/:teamId/sso', async (request) => {
    const teamId = team(request.params)
    const { protocol } = parseInput(SsoBody, request.body, 'body')
    await deps.directory.setSso(teamId, protocol)
    return { teamId, protocol, active: true }
  })

  app.delete('/teams/:teamId/sso', async (request, reply) => {
    await deps.directory.removeSso(team(request.params))
    return reply.code(204).send()
  })

  app.get('/teams/:teamId/members', async (request) => {
    const members = await deps.directory.listMembers(team(request.params))
    return {
      members: members.map((m) => ({ accountId: m.id, email: m.email, displayName: m.displayName, role: m.role })),
    }
  })

  app.post('/teams/:teamId/scim', async (request, reply) => {
    const teamId = team(request.params)
    const issued = await deps.connections.enable(teamId, actorId(request.headers), request.publicBaseUrl)
    return reply.code(201).send(issued)
  })

  app.post('/teams/:teamId/scim/rotate', async (request) => {
    const teamId = team(request.params)
    return deps.connections.rotate(teamId, actorId(request.headers), request.publicBaseUrl)
  })

  app.delete('/teams/:teamId/scim', async (request, reply) => {
    const teamId = team(request.params)
    await deps.connections.disable(teamId, actorId(request.headers))
    return reply.code(204).send()
  })

  app.get('/teams/:teamId/scim', async (request) => {
    const teamId = team(request.params)
    return deps.connections.status(teamId, actorId(request.headers), request.publicBaseUrl)
  })

  app.get('/teams/:teamId/scim/events', async (request) => {
    const teamId = team(request.params)
    const query = parseInput(EventsQuery, request.query, 'query')
    const events = await deps.connections.events(teamId, actorId(request.headers), { limit: query.limit, beforeId: query.before })
    const last = events.at(-1)
    return {
      events: events.map((e) => ({ ...e, at: e.at.toISOString() })),
      nextBefore: events.length === query.limit && last ? last.id : null,
    }
  })
}
