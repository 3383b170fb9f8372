/**
 * RFC 7643 §2.1 and RFC 7644 §3.10: an attribute path (`[urn:]attr[.subAttr]`) resolved against the
 * schemas of one resource type. Filters (in memory and in SQL), sorting, the indexes a filter may use,
 * projections and PATCH paths all resolve through here, so a name means the same thing everywhere:
 *
 * - Names match case-insensitively and resolve to their canonical spelling.
 * - No URN, or the core schema's: the common attributes (id, externalId, meta), then the core schema's.
 * - An extension URN: that extension's attributes (kept under `resource[<urn>]`).
 * - A sub-attribute exists only on a complex attribute.
 *
 * Anything else is not an attribute of the resource type (undefined); each caller says what that means
 * for it (invalidFilter, invalidValue, invalidPath, or an ignored PATCH operation).
 */
import { findAttribute, type AttributeDefinition, type SchemaDefinition } from './attribute.js'
import type { ResourceSchemaView } from './resource-input.js'

/** The part of an attribute path this module reads (a filter's AttrPath is one). */
export interface AttributePath {
  readonly urn?: string | undefined
  readonly attr: string
  readonly subAttr?: string | undefined
}

export interface ResolvedAttribute {
  /** The extension schema holding the attribute; undefined for common and core attributes. */
  readonly extension?: SchemaDefinition
  readonly attribute: AttributeDefinition
}

export interface ResolvedAttributePath extends ResolvedAttribute {
  /** The sub-attribute the path names (or, after `comparedPath`, the `value` it compares). */
  readonly sub?: AttributeDefinition
}

/** Whether `urn` (absent, or the core schema's URN in any case) names the core schema. */
export function isCoreUrn(urn: string | undefined, view: ResourceSchemaView): boolean {
  return urn === undefined || urn.toLowerCase() === view.core.id.toLowerCase()
}

/** The extension schema a URN names, in any case. */
export function extensionNamed(urn: string, view: ResourceSchemaView): SchemaDefinition | undefined {
  const lower = urn.toLowerCase()
  return view.extensions.find((schema) => schema.id.toLowerCase() === lower)
}

/** The attribute `attr` under `urn`, or undefined when the resource type has none. */
export function resolveAttribute(urn: string | undefined, attr: string, view: ResourceSchemaView): ResolvedAttribute | undefined {
  if (isCoreUrn(urn, view)) {
    // The schema's own lists, never a copy: findAttribute indexes each list once (attribute.ts).
    const attribute = findAttribute(view.common, attr) ?? findAttribute(view.core.attributes, attr)
    return attribute && { attribute }
  }
  const extension = extensionNamed(urn!, view)
  const attribute = extension && findAttribute(extension.attributes, attr)
  return attribute && { extension, attribute }
}

/** A sub-attribute of `attribute` (complex attributes only), case-insensitively. */
export function resolveSubAttribute(attribute: AttributeDefinition, name: string): AttributeDefinition | undefined {
  return attribute.type === 'complex' ? findAttribute(attribute.subAttributes, name) : undefined
}

/** The whole path, or undefined when its attribute or its sub-attribute is not in the schemas. */
export function resolvePath(path: AttributePath, view: ResourceSchemaView): ResolvedAttributePath | undefined {
  const resolved = resolveAttribute(path.urn, path.attr, view)
  if (!resolved || path.subAttr === undefined) return resolved
  const sub = resolveSubAttribute(resolved.attribute, path.subAttr)
  return sub && { ...resolved, sub }
}

/**
 * What a comparison with a value reads: the path itself, except that a multi-valued complex attribute
 * with a `value` sub-attribute named alone compares its values (`emails eq "x"` is `emails.value eq "x"`).
 */
export function comparedPath(resolved: ResolvedAttributePath): ResolvedAttributePath {
  const { attribute, sub } = resolved
  if (sub || !attribute.multiValued || attribute.type !== 'complex') return resolved
  const value = resolveSubAttribute(attribute, 'value')
  return value ? { ...resolved, sub: value } : resolved
}

/**
 * A core or common path as the store's attribute tables key it: lower case, `meta.lastmodified`,
 * `emails.value`. Undefined for extension attributes, which only the document holds.
 */
export function pathKey(resolved: ResolvedAttributePath): string | undefined {
  if (resolved.extension) return undefined
  const name = resolved.sub ? `${resolved.attribute.name}.${resolved.sub.name}` : resolved.attribute.name
  return name.toLowerCase()
}
