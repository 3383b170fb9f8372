import { findAttribute, type AttributeDefinition, type SchemaDefinition } from './attribute.js'
import { SCIM11_URN, URN } from './schemas.js'
import { booleanValue } from './string-boolean.js'
import { ScimError } from '../protocol/scim-error.js'
import { MAX_MULTI_VALUES, MAX_OBJECT_KEYS, MAX_STRING_LENGTH } from '../limits.js'

/** The schemas of one resource type as the validator, filters and PATCH see them. */
export interface ResourceSchemaView {
  readonly core: SchemaDefinition
  readonly extensions: readonly SchemaDefinition[]
  /** RFC 7643 §3.1 attributes every resource has (id, externalId, meta). */
  readonly common: readonly AttributeDefinition[]
}

/**
 * The attributes a Compound account's email, sign-in and display name come from
 * (provisioning/account-profile.ts): a control character there (an escape sequence, a bell) would
 * reach logs, emails and the Compound app's screens. Other strings keep theirs: RFC 7643 lets
 * addresses.formatted hold newlines.
 */
const ACCOUNT_TEXT = new Set(['userName', 'emails.value', 'displayName', 'name.formatted', 'name.givenName', 'name.familyName'])
// C0 controls, DEL and C1 controls (Unicode general category Cc).
const CONTROL_CHARACTER = /\p{Cc}/u
/**
 * The sign-in and address are read as addresses too, where a Unicode bidi control (the Bidi_Control
 * property: U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069; UAX #9) reorders what the admin sees:
 * "admin\u202E@x.io". No address needs one (IDNA2008, RFC 5892, disallows them in domain names), so
 * all of them are refused here, the marks U+200E/U+200F included. Display names keep them: a Hebrew or
 * Arabic name written next to Latin text may need a mark or an isolate.
 */
const IDENTIFIERS = new Set(['userName', 'emails.value'])
const BIDI_CONTROL = /\p{Bidi_Control}/u

/**
 * Turns a client's resource (POST/PUT body, or the result of a PATCH) into the stored document:
 * attribute names and extension URNs matched case-insensitively and written canonically (RFC 7643
 * §2.1), types checked, readOnly and writeOnly attributes dropped (§2.2: the server ignores them on
 * input; password is never stored), unknown attributes ignored, null meaning unassigned (§2.5).
 * `id`, `meta` and `schemas` are not part of the document; externalId is.
 */
export function normalizeResource(input: unknown, view: ResourceSchemaView): Record<string, unknown> {
  if (!isObject(input)) throw ScimError.badRequest('invalidSyntax', 'The request body must be a JSON object')
  withinObjectSize(input, 'The resource')
  const doc: Record<string, unknown> = {}
  const externalIdDef = findAttribute(view.common, 'externalId')!
  const extensions = extensionsOf(view)
  for (const [key, value] of Object.entries(input)) {
    const lower = key.toLowerCase()
    if (lower === 'externalid') {
      assign(doc, externalIdDef.name, normalizeValue(value, externalIdDef, externalIdDef.name))
      continue
    }
    const extension = extensions.get(lower)
    if (extension) {
      if (value === null) continue
      if (!isObject(value)) throw invalidValue(`"${extension.id}" must be an object of extension attributes`)
      const extensionDoc = normalizeAttributes(value, extension.attributes, `${extension.id}:`)
      const merged = { ...(isObject(doc[extension.id]) ? (doc[extension.id] as Record<string, unknown>) : {}), ...extensionDoc }
      if (Object.keys(merged).length > 0) doc[extension.id] = merged
      continue
    }
    const definition = findAttribute(view.core.attributes, key)
    if (!definition || !isWritable(definition)) continue
    assign(doc, definition.name, normalizeValue(value, definition, definition.name))
  }
  for (const definition of view.core.attributes) assertRequired(definition, doc[definition.name])
  return doc
}

/** RFC 7643 §2.2 "required": a required attribute that is unassigned, or a blank string, is refused. */
export function assertRequired(definition: AttributeDefinition, value: unknown): void {
  if (definition.required && isWritable(definition) && (isUnassigned(value) || (typeof value === 'string' && value.trim() === ''))) {
    throw invalidValue(`The required attribute "${definition.name}" is missing or empty`)
  }
}

/**
 * One attribute's value as normalizeResource stores it (undefined: unassigned), or the 400 it would
 * give; an attribute clients cannot write is ignored, as normalizeResource ignores it. `path` names
 * it as normalizeResource does: `name.givenName`, `urn:...:User:manager`. PATCH checks each value it
 * writes with this, so it checks what an operation wrote, not the whole resource again.
 */
export function normalizeAttributeValue(value: unknown, definition: AttributeDefinition, path: string): unknown {
  return isWritable(definition) ? normalizeValue(value, definition, path) : undefined
}

/** Extension URNs in lower case, the SCIM 1.1 enterprise spelling included; built once per view. */
const extensionIndex = new WeakMap<ResourceSchemaView, ReadonlyMap<string, SchemaDefinition>>()

function extensionsOf(view: ResourceSchemaView): ReadonlyMap<string, SchemaDefinition> {
  let index = extensionIndex.get(view)
  if (!index) {
    const byUrn = new Map(view.extensions.map((schema) => [schema.id.toLowerCase(), schema]))
    const enterprise = view.extensions.find((schema) => schema.id === URN.enterpriseUser)
    // OneLogin's Enterprise template keys the extension with its SCIM 1.1 URN (test/idp/onelogin.test.ts "SCIM 1.1 enterprise URN as a POST body key").
    if (enterprise) byUrn.set(SCIM11_URN.enterprise, enterprise)
    extensionIndex.set(view, byUrn)
    index = byUrn
  }
  return index
}

/**
 * The object, refused (400 invalidValue) when it has more than MAX_OBJECT_KEYS members: checked before
 * its keys are walked, since counting them costs far less than looking each one up.
 */
export function withinObjectSize<T extends Record<string, unknown>>(value: T, what: string): T {
  if (Object.keys(value).length > MAX_OBJECT_KEYS) {
    throw invalidValue(`${what} has more than ${MAX_OBJECT_KEYS} members, more than any SCIM request needs`)
  }
  return value
}

function normalizeAttributes(
  input: Record<string, unknown>,
  definitions: readonly AttributeDefinition[],
  prefix: string,
): Record<string, unknown> {
  withinObjectSize(input, `"${prefix.replace(/[.:]$/, '')}"`)
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    const definition = findAttribute(definitions, key)
    if (!definition || !isWritable(definition)) continue
    assign(out, definition.name, normalizeValue(value, definition, `${prefix}${definition.name}`))
  }
  return out
}

function normalizeValue(value: unknown, definition: AttributeDefinition, path: string): unknown {
  if (value === null || value === undefined) return undefined
  if (definition.multiValued) {
    // A single value where a list is expected: some clients send one email as an object.
    const values = Array.isArray(value) ? value : [value]
    if (values.length > MAX_MULTI_VALUES) throw invalidValue(`"${path}" has more than ${MAX_MULTI_VALUES} values`)
    const items = values.map((item) => normalizeSingle(item, definition, path)).filter((item) => !isUnassigned(item))
    if (definition.type === 'complex') {
      const primaries = items.filter((item) => (item as Record<string, unknown>).primary === true)
      if (primaries.length > 1) throw invalidValue(`"${path}" has more than one value with "primary": true`)
    }
    return items.length > 0 ? items : undefined
  }
  if (Array.isArray(value)) throw invalidValue(`"${path}" takes a single value, not a list`)
  return normalizeSingle(value, definition, path)
}

function normalizeSingle(value: unknown, definition: AttributeDefinition, path: string): unknown {
  if (value === null || value === undefined) return undefined
  switch (definition.type) {
    case 'complex': {
      if (!isObject(value)) throw invalidValue(`"${path}" must be an object`)
      const out = normalizeAttributes(value, definition.subAttributes ?? [], `${path}.`)
      return Object.keys(out).length > 0 ? out : undefined
    }
    case 'boolean':
      return parseBoolean(value, path)
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidValue(`"${path}" must be an integer`)
      return value
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidValue(`"${path}" must be a number`)
      return value
    case 'dateTime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw invalidValue(`"${path}" must be an xsd:dateTime string`)
      return value
    default:
      if (typeof value !== 'string') throw invalidValue(`"${path}" must be a string`)
      if (value.length > MAX_STRING_LENGTH) throw invalidValue(`"${path}" is longer than ${MAX_STRING_LENGTH} characters`)
      if (ACCOUNT_TEXT.has(path) && CONTROL_CHARACTER.test(value)) {
        throw invalidValue(`"${path}" must not contain control characters`)
      }
      if (IDENTIFIERS.has(path) && BIDI_CONTROL.test(value)) {
        throw invalidValue(`"${path}" must not contain bidirectional formatting characters (such as U+202E or U+200F)`)
      }
      return value
  }
}

/** A boolean, or Entra's "True"/"False" (string-boolean.ts); anything else is 400 invalidValue. */
export function parseBoolean(value: unknown, path: string): boolean {
  const parsed = booleanValue(value)
  if (parsed === undefined) throw invalidValue(`"${path}" must be a boolean`)
  return parsed
}

function isWritable(definition: AttributeDefinition): boolean {
  return definition.mutability !== 'readOnly' && definition.returned !== 'never'
}

function assign(target: Record<string, unknown>, name: string, value: unknown): void {
  if (isUnassigned(value)) delete target[name]
  else target[name] = value
}

/** RFC 7643 §2.5: null, an empty list and an empty complex value all mean "unassigned". */
export function isUnassigned(value: unknown): boolean {
  if (value === undefined || value === null) return true
  if (Array.isArray(value)) return value.length === 0
  if (isObject(value)) return Object.keys(value).length === 0
  return false
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalidValue(detail: string): ScimError {
  return ScimError.badRequest('invalidValue', detail)
}
