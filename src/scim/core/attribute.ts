/** RFC 7643 §2.2-2.4 and §7: the characteristics of an attribute, as /Schemas publishes them. */

export type AttributeType =
  | 'string'
  | 'boolean'
  | 'decimal'
  | 'integer'
  | 'dateTime'
  | 'reference'
  | 'complex'
  | 'binary'

export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly'
export type Returned = 'always' | 'never' | 'default' | 'request'
export type Uniqueness = 'none' | 'server' | 'global'

export interface AttributeDefinition {
  readonly name: string
  readonly type: AttributeType
  readonly multiValued: boolean
  readonly description: string
  readonly required: boolean
  readonly caseExact: boolean
  readonly mutability: Mutability
  readonly returned: Returned
  readonly uniqueness: Uniqueness
  readonly canonicalValues?: readonly string[]
  readonly referenceTypes?: readonly string[]
  readonly subAttributes?: readonly AttributeDefinition[]
}

export interface SchemaDefinition {
  readonly id: string
  readonly name: string
  readonly description: string
  readonly attributes: readonly AttributeDefinition[]
}

type Options = Partial<Omit<AttributeDefinition, 'name' | 'type' | 'description' | 'referenceTypes'>>

/**
 * Builds a definition with RFC 7643 §2.2 defaults: optional, readWrite, returned by default, caseExact false.
 * RFC 7643 §7 gives `referenceTypes` to reference attributes only, and strict clients (python-scim's
 * scim2-client) cannot build a model from a reference without it, so the overloads demand it there
 * and refuse it elsewhere.
 */
export function attribute(
  name: string,
  type: 'reference',
  description: string,
  options: Options & { readonly referenceTypes: readonly [string, ...string[]] },
): AttributeDefinition
export function attribute(
  name: string,
  type: Exclude<AttributeType, 'reference'>,
  description: string,
  options?: Options,
): AttributeDefinition
export function attribute(
  name: string,
  type: AttributeType,
  description: string,
  options: Options & { readonly referenceTypes?: readonly string[] } = {},
): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  }
}

/** Finds an attribute by name, case-insensitively (RFC 7643 §2.1: attribute names are case-insensitive). */
export function findAttribute(
  attributes: readonly AttributeDefinition[] | undefined,
  name: string,
): AttributeDefinition | undefined {
  if (!attributes) return undefined
  const lower = name.toLowerCase()
  return attributes.find((a) => a.name.toLowerCase() === lower)
}
