/**
 * Where a team's SCIM endpoint lives: `{PUBLIC_BASE_URL}/scim/v2/{endpointId}/`. The IdP admin pastes
 * that URL (with its trailing slash: Okta appends paths to it as given); resources and discovery
 * documents are under it.
 */

/** The route prefix the SCIM routes are registered under. */
export const SCIM_ROUTE_PREFIX = '/scim/v2/:endpointId'

/** The endpoint's base URL without the trailing slash: `${endpointBaseUrl(...)}/Users/{id}` is a resource's location. */
export function endpointBaseUrl(publicBaseUrl: string, endpointId: string): string {
  return `${publicBaseUrl}/scim/v2/${endpointId}`
}

/** Whether a request path is under /scim/ (any case, repeated slashes included): it speaks SCIM's error dialect (RFC 7644 §3.12). */
export function isScimUrl(url: string): boolean {
  return /^\/+scim\//i.test(url)
}
