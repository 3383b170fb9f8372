import { attribute, type AttributeDefinition, type SchemaDefinition } from './attribute.js'
import { MAX_MEMBERS_PER_REQUEST } from '../limits.js'

/** Schema URNs (RFC 7643 §8.7.1, RFC 7644 §3.1 and §8.2). */
export const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  searchRequest: 'urn:ietf:params:scim:api:messages:2.0:SearchRequest',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const

/**
 * The SCIM 1.1 spellings of the User schemas that clients still send: Ping and older 1.1 clients
 * qualify attribute paths with them, OneLogin's Enterprise template keys the extension with the
 * enterprise one. Both are read as the 2.0 schemas.
 */
export const SCIM11_URN = {
  core: 'urn:scim:schemas:core:1.0',
  enterprise: 'urn:scim:schemas:extension:enterprise:1.0',
} as const

/** The value sub-attribute of a multi-valued attribute whose values are strings. */
function stringValue(name: string): AttributeDefinition {
  return attribute('value', 'string', `The value of the ${name} entry.`)
}

/** The sub-attributes shared by multi-valued attributes (RFC 7643 §2.4), around the given `value`. */
function multiValued(
  name: string,
  description: string,
  value: AttributeDefinition,
  canonicalTypes: readonly string[],
  extra: readonly AttributeDefinition[] = [],
): AttributeDefinition {
  return attribute(name, 'complex', description, {
    multiValued: true,
    subAttributes: [
      value,
      attribute('display', 'string', 'A human-readable name, primarily used for display purposes.'),
      attribute('type', 'string', `A label indicating the ${name} entry's function.`, {
        canonicalValues: canonicalTypes,
      }),
      attribute('primary', 'boolean', 'Whether this is the primary value; at most one entry may be primary.'),
      ...extra,
    ],
  })
}

/** RFC 7643 §3.1: id, externalId and meta belong to every resource. */
export const commonAttributes: readonly AttributeDefinition[] = [
  attribute('id', 'string', 'Unique identifier issued by the service provider.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  attribute('externalId', 'string', 'Identifier of the resource as defined by the provisioning client.', {
    caseExact: true,
  }),
  attribute('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      attribute('resourceType', 'string', 'The name of the resource type.', { caseExact: true, mutability: 'readOnly' }),
      attribute('created', 'dateTime', 'When the resource was added.', { mutability: 'readOnly' }),
      attribute('lastModified', 'dateTime', 'When the resource was last changed.', { mutability: 'readOnly' }),
      attribute('location', 'reference', 'The URI of the resource.', {
        caseExact: true,
        mutability: 'readOnly',
        referenceTypes: ['uri'],
      }),
      attribute('version', 'string', 'The version (weak ETag) of the resource.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
    ],
  }),
]

/** RFC 7643 §4.1 User. */
export const userSchema: SchemaDefinition = {
  id: URN.user,
  name: 'User',
  description: 'User Account',
  attributes: [
    attribute('userName', 'string', 'Unique identifier for the User, used to sign in. Unique per team, compared case-insensitively.', {
      required: true,
      uniqueness: 'server',
    }),
    attribute('name', 'complex', "The components of the user's name.", {
      subAttributes: [
        attribute('formatted', 'string', 'The full name, formatted for display.'),
        attribute('familyName', 'string', 'The family name.'),
        attribute('givenName', 'string', 'The given name.'),
        attribute('middleName', 'string', 'The middle name(s).'),
        attribute('honorificPrefix', 'string', 'The honorific prefix(es), e.g. "Ms.".'),
        attribute('honorificSuffix', 'string', 'The honorific suffix(es), e.g. "III".'),
      ],
    }),
    attribute('displayName', 'string', 'The name of the User, suitable for display to end-users.'),
    attribute('nickName', 'string', 'The casual way to address the user.'),
    attribute('profileUrl', 'reference', "A URI of the user's online profile.", { referenceTypes: ['external'] }),
    attribute('title', 'string', 'The user\'s title, such as "Vice President".'),
    attribute('userType', 'string', 'The relationship between the organization and the user.'),
    attribute('preferredLanguage', 'string', "The user's preferred written or spoken language."),
    attribute('locale', 'string', "The user's default location for localization."),
    attribute('timezone', 'string', "The user's time zone in IANA Time Zone database format."),
    attribute('active', 'boolean', "The user's administrative status: false removes them from the team."),
    attribute('password', 'string', 'Accepted for compatibility and never stored or returned.', {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    multiValued('emails', 'Email addresses for the user.', stringValue('emails'), ['work', 'home', 'other']),
    multiValued('phoneNumbers', 'Phone numbers for the user.', stringValue('phoneNumbers'), [
      'work',
      'home',
      'mobile',
      'fax',
      'pager',
      'other',
    ]),
    multiValued('ims', 'Instant messaging addresses for the user.', stringValue('ims'), [
      'aim',
      'gtalk',
      'icq',
      'xmpp',
      'msn',
      'skype',
      'qq',
      'yahoo',
    ]),
    // RFC 7643 §4.1.2: a photo is a URL to an image anywhere, not a SCIM resource.
    multiValued(
      'photos',
      'URLs of photos of the user.',
      attribute('value', 'reference', 'The URL of a photo of the user.', { referenceTypes: ['external'] }),
      ['photo', 'thumbnail'],
    ),
    attribute('addresses', 'complex', 'Physical mailing addresses for this user.', {
      multiValued: true,
      subAttributes: [
        attribute('formatted', 'string', 'The full mailing address, formatted for display.'),
        attribute('streetAddress', 'string', 'The full street address component.'),
        attribute('locality', 'string', 'The city or locality component.'),
        attribute('region', 'string', 'The state or region component.'),
        attribute('postalCode', 'string', 'The zip code or postal code component.'),
        attribute('country', 'string', 'The country name component (ISO 3166-1 alpha-2).'),
        attribute('type', 'string', 'A label indicating the address function.', { canonicalValues: ['work', 'home', 'other'] }),
        attribute('primary', 'boolean', 'Whether this is the primary address.'),
      ],
    }),
    // Returned on request only: reading memberships costs a query that the lookups IdPs make before
    // every write (userName eq ...) never need.
    attribute('groups', 'complex', 'Groups the user belongs to, managed through /Groups; returned when asked for with attributes=groups.', {
      multiValued: true,
      mutability: 'readOnly',
      returned: 'request',
      subAttributes: [
        attribute('value', 'string', 'The id of the group.', { mutability: 'readOnly' }),
        // Group only: RFC 7643 §8.7.1 had ["User", "Group"], which verified erratum 8471 corrects.
        attribute('$ref', 'reference', 'The URI of the group.', { mutability: 'readOnly', referenceTypes: ['Group'] }),
        attribute('display', 'string', 'The displayName of the group.', { mutability: 'readOnly' }),
        attribute('type', 'string', 'How the membership was derived.', {
          mutability: 'readOnly',
          canonicalValues: ['direct', 'indirect'],
        }),
      ],
    }),
    multiValued('entitlements', 'Entitlements of the user.', stringValue('entitlements'), []),
    multiValued('roles', 'Roles of the user.', stringValue('roles'), []),
    multiValued(
      'x509Certificates',
      'X.509 certificates of the user.',
      attribute('value', 'binary', 'A DER-encoded X.509 certificate, base64-encoded (RFC 7643 §4.1.2).'),
      [],
    ),
  ],
}

/** RFC 7643 §4.3 Enterprise User extension. */
export const enterpriseUserSchema: SchemaDefinition = {
  id: URN.enterpriseUser,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    attribute('employeeNumber', 'string', 'Identifier assigned by the organization.'),
    attribute('costCenter', 'string', 'The name of a cost center.'),
    attribute('organization', 'string', 'The name of an organization.'),
    attribute('division', 'string', 'The name of a division.'),
    attribute('department', 'string', 'The name of a department.'),
    attribute('manager', 'complex', "The user's manager.", {
      subAttributes: [
        attribute('value', 'string', 'The id of the SCIM resource representing the manager.', { caseExact: true }),
        attribute('$ref', 'reference', 'The URI of the manager resource.', { referenceTypes: ['User'] }),
        attribute('displayName', 'string', "The manager's displayName.", { mutability: 'readOnly' }),
      ],
    }),
  ],
}

/** A resource type with its core schema and extensions (RFC 7643 §6). */
export interface ResourceTypeDefinition {
  readonly id: string
  readonly name: string
  readonly endpoint: string
  readonly description: string
  readonly schema: SchemaDefinition
  readonly extensions: readonly { readonly schema: SchemaDefinition; readonly required: boolean }[]
}

export const userResourceType: ResourceTypeDefinition = {
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'People of the Compound team',
  schema: userSchema,
  extensions: [{ schema: enterpriseUserSchema, required: false }],
}

/** RFC 7643 §4.2 Group. Members are Users of the same team. */
export const groupSchema: SchemaDefinition = {
  id: URN.group,
  name: 'Group',
  description: 'Group',
  attributes: [
    attribute('displayName', 'string', 'A human-readable name for the Group, unique per team (compared case-insensitively).', {
      required: true,
      uniqueness: 'server',
    }),
    attribute(
      'members',
      'complex',
      `The Users of the team in this Group; at most ${MAX_MEMBERS_PER_REQUEST} per request (add them in several PATCH requests beyond that).`,
      {
        multiValued: true,
        subAttributes: [
          attribute('value', 'string', 'The id of the member User.', { mutability: 'immutable', caseExact: true }),
          // User only, where RFC 7643 §4.2 also allows nested Groups: a member that is not a User of the
          // team is refused (src/provisioning/group-provisioning.ts); test/unit/schemas-rfc.test.ts lists it.
          attribute('$ref', 'reference', 'The URI of the member User.', { mutability: 'immutable', referenceTypes: ['User'] }),
          attribute('display', 'string', "The member's name as the client gave it, else its userName.", { mutability: 'immutable' }),
          attribute('type', 'string', 'The type of the member.', { mutability: 'immutable', canonicalValues: ['User'] }),
        ],
      },
    ),
  ],
}

export const groupResourceType: ResourceTypeDefinition = {
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Groups of the Compound team (stored and returned; they do not change Compound roles)',
  schema: groupSchema,
  extensions: [],
}
