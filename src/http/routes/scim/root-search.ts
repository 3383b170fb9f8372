import type { FastifyInstance, FastifyRequest } from 'fastify'
import { principal } from './principal.js'
import { groupResponse, userResponses, wantsMembers } from './resource-renderers.js'
import { searchBody } from './scim-request.js'
import { sendScim } from './scim-response.js'
import type { GroupProvisioning } from '../../../provisioning/group-provisioning.js'
import { MAX_MEMBERS_RETURNED } from '../../../scim/limits.js'
import type { UserProvisioning } from '../../../provisioning/user-provisioning.js'
import { groupView } from '../../../scim/core/group-resource.js'
import { projectionFor, projectionNames, type Projection } from '../../../scim/core/projection.js'
import { withinObjectSize, type ResourceSchemaView } from '../../../scim/core/resource-input.js'
import { userView } from '../../../scim/core/user-resource.js'
import type { Filter } from '../../../scim/filter/ast.js'
import { compileFilter } from '../../../scim/filter/evaluate.js'
import { parseFilter } from '../../../scim/filter/parser.js'
import { listResponse } from '../../../scim/protocol/list-response.js'
import { parseListRequest } from '../../../scim/protocol/list-request.js'
import { ScimError } from '../../../scim/protocol/scim-error.js'

interface SearchableType {
  readonly view: ResourceSchemaView
  total(request: FastifyRequest, filter: Filter | undefined): Promise<number>
  /** Spends `budget` on the Users' groups or Groups' members it lists. */
  page(
    request: FastifyRequest,
    filter: Filter | undefined,
    startIndex: number,
    count: number,
    projection: Projection,
    budget: Budget,
  ): Promise<unknown[]>
}

/** Members and groups one response may still list (MAX_MEMBERS_RETURNED for both kinds together). */
interface Budget {
  remaining: number
}

/**
 * POST /.search (RFC 7644 §3.4.3): one search over Users, then Groups. A filter naming attributes
 * that a resource type lacks selects none of that type; one that no type understands is a 400.
 * Paging runs over the concatenation, with the exact total of both.
 */
export function rootSearchRoutes(
  app: FastifyInstance,
  deps: { users: UserProvisioning; groups: GroupProvisioning; maxResults: number },
): void {
  const types: SearchableType[] = [
    {
      view: userView,
      total: async (request, filter) => (await deps.users.list(principal(request), { filter, startIndex: 1, count: 0 })).totalResults,
      page: async (request, filter, startIndex, count, projection, budget) =>
        userResponses(
          request,
          (await deps.users.list(principal(request), { filter, startIndex, count })).resources,
          projection,
          deps.users,
          budget,
        ),
    },
    {
      view: groupView,
      total: async (request, filter) =>
        (await deps.groups.list(principal(request), { filter, startIndex: 1, count: 0 }, false)).totalResults,
      page: async (request, filter, startIndex, count, projection, budget) => {
        const { resources } = await deps.groups.list(
          principal(request),
          { filter, startIndex, count },
          wantsMembers(projection),
          budget.remaining,
        )
        for (const { members } of resources) budget.remaining -= members?.length ?? 0
        return resources.map((group) => groupResponse(request, group, projection))
      },
    },
  ]

  app.post('/.search', async (request, reply) => {
    // Each member of a SearchRequest is looked up by name: their number is capped first (resource-input.ts).
    const query = parseListRequest(withinObjectSize(searchBody(request.body), 'The SearchRequest'), {
      maxResults: deps.maxResults,
      defaultCount: deps.maxResults,
    })
    const filter = query.filter === undefined ? undefined : parseFilter(query.filter)
    const names = projectionNames({ attributes: query.attributes, excludedAttributes: query.excludedAttributes })
    const errors: ScimError[] = []
    const applicable = types.filter((type) => {
      if (!filter) return true
      try {
        compileFilter(filter, type.view)
        return true
      } catch (error) {
        if (!(error instanceof ScimError)) throw error
        errors.push(error)
        return false
      }
    })
    if (applicable.length === 0) throw errors[0]!
    // Resolved once for each type, then applied to each resource of the page.
    const projections = applicable.map((type) => projectionFor(names, type.view))
    const unknown = [...names.attributes, ...names.excludedAttributes].find((name) => !projections.some((p) => p.known.has(name)))
    if (unknown !== undefined)
      throw ScimError.badRequest('invalidPath', `Unknown attribute "${unknown}" in attributes or excludedAttributes`)

    let skip = query.startIndex - 1
    let remaining = query.count
    // One response, one cap: the Users' groups and the Groups' members it lists count together.
    const budget: Budget = { remaining: MAX_MEMBERS_RETURNED }
    let totalResults = 0
    const resources: unknown[] = []
    for (const [index, type] of applicable.entries()) {
      const total = await type.total(request, filter)
      totalResults += total
      if (remaining > 0 && skip < total) {
        const page = await type.page(request, filter, skip + 1, remaining, projections[index]!.projection, budget)
        resources.push(...page)
        remaining -= page.length
      }
      skip = Math.max(0, skip - total)
    }
    return sendScim(reply, 200, listResponse(totalResults, query.startIndex, resources))
  })
}
