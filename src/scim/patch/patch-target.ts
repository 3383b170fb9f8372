/**
 * Resolves a PATCH path (RFC 7644 §3.5.2, §3.10) against the resource's schemas: which container
 * (the resource or an extension object), which attribute and sub-attribute, which value filter.
 * Names match case-insensitively (RFC 7643 §2.1) and resolve to their canonical spelling.
 */
import type { AttributeDefinition, SchemaDefinition } from '../core/attribute.js'
import { resolveAttribute, resolveSubAttribute } from '../core/attribute-path.js'
import type { ResourceSchemaView } from '../core/resource-input.js'
import type { Filter, PatchPath } from '../filter/ast.js'
import { matchesValueFilter } from '../filter/evaluate.js'
import { formatFilter } from '../filter/format.js'
import { ScimError } from '../protocol/scim-error.js'
import { extensionForUrn, isCoreSchemaUrn } from './dialects.js'

export type PatchTarget =
  /** Not in the schema: the operation is ignored, as unknown attributes are on POST and PUT. */
  | { readonly kind: 'unknown' }
  /** The core schema URN alone: the value is a set of attributes, as with no path. */
  | { readonly kind: 'resource' }
  /** An extension URN alone: the whole extension object. */
  | { readonly kind: 'extension'; readonly schema: SchemaDefinition }
  | AttributeTarget

export interface AttributeTarget {
  readonly kind: 'attribute'
  /** The extension holding the attribute; undefined for core and common attributes. */
  readonly extension?: SchemaDefinition
  readonly attribute: AttributeDefinition
  /** `name.givenName`, or `emails[type eq "work"].value`. */
  readonly sub?: AttributeDefinition
  /** `emails[type eq "work"]`: only on multi-valued complex attributes. */
  readonly filter?: Filter
}

const UNKNOWN: PatchTarget = { kind: 'unknown' }

/** RFC 7644 §3.5.2 path resolution; throws invalidPath or invalidFilter for a filter that cannot apply. */
export function resolveTarget(path: PatchPath, view: ResourceSchemaView): PatchTarget {
  const { urn, attr } = path.path
  const subName = path.subAttr ?? path.path.subAttr
  const bare = path.valueFilter === undefined && subName === undefined
  let extension: SchemaDefinition | undefined
  if (urn !== undefined) {
    // The parser splits at the last colon, so a bare URN it does not know arrives as urn + attr.
    const whole = attr === '' ? urn : `${urn}:${attr}`
    const named = extensionForUrn(whole, view)
    if (named) return bare ? { kind: 'extension', schema: named } : UNKNOWN
    if (isCoreSchemaUrn(whole, view)) return bare ? { kind: 'resource' } : UNKNOWN
    if (attr === '') return UNKNOWN
    if (!isCoreSchemaUrn(urn, view)) {
      extension = extensionForUrn(urn, view)
      if (!extension) return UNKNOWN
    }
  }
  const attribute = resolveAttribute(extension?.id, attr, view)?.attribute
  if (!attribute) return UNKNOWN
  const filter = path.valueFilter
  if (filter !== undefined) {
    if (attribute.type !== 'complex' || !attribute.multiValued) {
      throw ScimError.badRequest(
        'invalidPath',
        `"[...]" selects values of a multi-valued complex attribute, and "${attribute.name}" is not one`,
      )
    }
    // Compiles the filter against the schema now, so a bad filter fails even when there is nothing to match.
    matchesValueFilter({}, filter, attribute)
  }
  const base = { kind: 'attribute', ...(extension ? { extension } : {}), attribute, ...(filter ? { filter } : {}) } as const
  if (subName === undefined) return base
  const sub = resolveSubAttribute(attribute, subName)
  return sub ? { ...base, sub } : UNKNOWN
}

/** Canonical path text for error details, e.g. `urn:...:User:manager.value` or `emails[type eq "work"].value`. */
export function targetLabel(target: AttributeTarget): string {
  const prefix = target.extension ? `${target.extension.id}:` : ''
  const filter = target.filter ? `[${formatFilter(target.filter)}]` : ''
  const sub = target.sub ? `.${target.sub.name}` : ''
  return `${prefix}${target.attribute.name}${filter}${sub}`
}
