import type { AttributeDefinition, SchemaDefinition } from './attribute.js'
import { groupResourceType, URN, userResourceType, type ResourceTypeDefinition } from './schemas.js'
import type { ServiceLimits } from '../limits.js'

/** The resource types this service serves (RFC 7644 §4: what /ResourceTypes lists). */
export const RESOURCE_TYPES: readonly ResourceTypeDefinition[] = [userResourceType, groupResourceType]

/** Every schema the resource types use, core then extensions (RFC 7644 §4: what /Schemas lists). */
export const SCHEMAS: readonly SchemaDefinition[] = RESOURCE_TYPES.flatMap((type) => [type.schema, ...type.extensions.map((e) => e.schema)])

/** RFC 7643 §5: what this server supports, stated truthfully; `limits` is SERVICE_LIMITS (limits.ts) in the service. */
export function serviceProviderConfig(limits: ServiceLimits, location: string) {
  return {
    schemas: [URN.serviceProviderConfig],
    // The README section that says which paging to use on a large team (cursor) and which filters are served.
    documentationUri: 'https://github.com/compound/compound-scim#lists-filters-and-limits',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: limits.maxResults },
    changePassword: { supported: false },
    sort: { supported: true },
    // RFC 9865 §4: both paging methods; cursors are keysets on the id and never expire, and cost the
    // same anywhere in a large team: the method for full imports. Index paging stays the default for IdPs.
    pagination: {
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize: limits.maxResults,
      maxPageSize: limits.maxResults,
    },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'The per-team bearer token issued when SCIM is enabled in Compound',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location },
  }
}

/** RFC 7643 §6. */
export function resourceTypeDocument(type: ResourceTypeDefinition, baseUrl: string) {
  return {
    schemas: [URN.resourceType],
    id: type.id,
    name: type.name,
    endpoint: type.endpoint,
    description: type.description,
    schema: type.schema.id,
    schemaExtensions: type.extensions.map((e) => ({ schema: e.schema.id, required: e.required })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${type.id}` },
  }
}

/** RFC 7643 §7: generated from the same definitions the validator uses. */
export function schemaDocument(schema: SchemaDefinition, baseUrl: string) {
  return {
    schemas: [URN.schema],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(attributeDocument),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${schema.id}` },
  }
}

function attributeDocument(a: AttributeDefinition): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued,
    description: a.description,
    required: a.required,
    caseExact: a.caseExact,
    mutability: a.mutability,
    returned: a.returned,
    uniqueness: a.uniqueness,
    ...(a.canonicalValues ? { canonicalValues: a.canonicalValues } : {}),
    ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : {}),
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attributeDocument) } : {}),
  }
}
