/**
 * What real provisioning clients send that RFC 7644 does not describe. Each quirk names the client
 * and the test (test/unit/patch-dialects.test.ts unless stated) that replays its request.
 */
import { findAttribute, type AttributeDefinition, type SchemaDefinition } from '../core/attribute.js'
import { extensionNamed, isCoreUrn } from '../core/attribute-path.js'
import { isObject, type ResourceSchemaView } from '../core/resource-input.js'
import { SCIM11_URN, URN } from '../core/schemas.js'
import { booleanValue } from '../core/string-boolean.js'
import { assertShallow } from './value-shape.js'

/** The core schema URN, or its SCIM 1.1 spelling, which Ping and older 1.1 clients send (test "SCIM 1.1 URN prefixes"). */
export function isCoreSchemaUrn(urn: string, view: ResourceSchemaView): boolean {
  return isCoreUrn(urn, view) || urn.toLowerCase() === SCIM11_URN.core
}

/** The extension a URN names, SCIM 1.1 enterprise spelling included. */
export function extensionForUrn(urn: string, view: ResourceSchemaView): SchemaDefinition | undefined {
  return extensionNamed(urn.toLowerCase() === SCIM11_URN.enterprise ? URN.enterpriseUser : urn, view)
}

/**
 * Values stay as sent (normalizeResource converts them); comparisons for duplicates and primary read
 * Entra's "True"/"False" as booleans.
 */
export function isTrue(value: unknown): boolean {
  return booleanValue(value) === true
}

/**
 * Microsoft Entra ID sends some complex values as a JSON string of the object, e.g. `"value":
 * "{\"givenName\":\"A\"}"` on path `name` (test "Entra JSON-encoded complex value"). Only a string
 * that parses to an object is decoded; anything else is returned unchanged for validation to reject.
 */
export function decodeJsonObject(value: unknown): unknown {
  if (typeof value !== 'string' || !value.trimStart().startsWith('{')) return value
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return value
  }
  if (!isObject(parsed)) return value
  assertShallow(parsed)
  return parsed
}

/**
 * A single-valued complex value as given to add/replace; undefined means "remove it". Microsoft
 * Entra ID sends the enterprise manager as the bare id (`"value": "mgr-id"`) and clears it with ""
 * (tests "Entra manager as a bare string" and "Entra manager removal").
 */
export function singleComplexValue(value: unknown, attribute: AttributeDefinition): unknown {
  const decoded = decodeJsonObject(value)
  if (typeof decoded !== 'string') return decoded
  const valueSub = findAttribute(attribute.subAttributes, 'value')
  if (!valueSub) return decoded
  return decoded.trim() === '' ? undefined : { [valueSub.name]: decoded }
}

/** The `value` sub-attribute carries the meaning of its parent: without it, the parent is empty. */
export function isValueSubAttribute(attribute: AttributeDefinition | undefined): boolean {
  return attribute?.name.toLowerCase() === 'value'
}
