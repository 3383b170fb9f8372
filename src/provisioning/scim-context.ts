/** Who a SCIM request acts for: the team its bearer token belongs to, and the token's endpoint. */
export interface ScimContext {
  readonly teamId: string
  readonly endpointId: string
}
