import type { FastifyRequest } from 'fastify'
import type { ScimPrincipal } from '../../../auth/scim-credentials.js'
import { endpointBaseUrl } from '../../../scim/protocol/endpoint-url.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the SCIM bearer check: the team and endpoint this request acts for. */
    scim?: ScimPrincipal
  }
}

/** The principal of an authenticated SCIM request; the SCIM routes only run after the bearer check. */
export function principal(request: FastifyRequest): ScimPrincipal {
  if (!request.scim) throw new Error('SCIM route reached without authentication')
  return request.scim
}

/** The URL of the SCIM endpoint an authenticated request acts for: resource and discovery URLs start with it. */
export function endpointUrl(request: FastifyRequest): string {
  return endpointBaseUrl(request.publicBaseUrl, principal(request).endpointId)
}
