/** RFC 7643 §2.2-2.4 and §7: the characteristics of an attribute, as /Schemas publishes them. */

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary'

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

/**
 * Each definition list's names in lower case, built on its first lookup: a lookup then lowercases the
 * client's key once instead of every attribute name for every key (a body of 90,000 unknown keys took
 * 0.4-0.7 s the other way). Keyed weakly, so a list built for one call is collected with it.
 */
const byLowerName = new WeakMap<readonly AttributeDefinition[], ReadonlyMap<string, AttributeDefinition>>()

/** Finds an attribute by name, case-insensitively (RFC 7643 §2.1: attribute names are case-insensitive). */
export function findAttribute(attributes: readonly AttributeDefinition[] | undefined, name: string): AttributeDefinition | undefined {
  if (!attributes) return undefined
  let index = byLowerName.get(attributes)
  if (!index) {
    const names = new Map<string, AttributeDefinition>()
    // The first of two spellings wins, as a linear search would find it.
    for (const a of attributes) if (!names.has(a.name.toLowerCase())) names.set(a.name.toLowerCase(), a)
    byLowerName.set(attributes, names)
    index = names
  }
  return index.get(name.toLowerCase())
}
