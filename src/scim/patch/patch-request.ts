/**
 * The PatchOp request body (RFC 7644 §3.5.2), validated into typed operations before any resource is
 * read, so a malformed request fails the same way whatever the stored user looks like.
 *
 * Error details name the operation by its 1-based position ("Operation 1" is the first), as the
 * admin reading an IdP's provisioning log counts them; `PatchOperation.index` is 0-based.
 */
import { isObject, withinObjectSize } from '../core/resource-input.js'
import { MAX_OBJECT_KEYS, MAX_OPERATIONS, MAX_PATH_COMPARISONS } from '../limits.js'
import { URN } from '../core/schemas.js'
import { filterComparisons, type PatchPath } from '../filter/ast.js'
import { formatPatchPath } from '../filter/format.js'
import { parsePatchPath } from '../filter/parser.js'
import { ScimError, type ScimType } from '../protocol/scim-error.js'
import { getMember } from '../core/resource-members.js'
import { assertShallow, clip, kindOf } from './value-shape.js'

export type PatchOpName = 'add' | 'replace' | 'remove'

export interface PatchOperation {
  /** 0-based position in `Operations`. */
  readonly index: number
  readonly op: PatchOpName
  /** Absent when the request had no path (or an empty one). */
  readonly path?: PatchPath
  /** The path as the client wrote it, for error details. */
  readonly rawPath?: string
  /**
   * As sent. On replace, null means "remove the target" (RFC 7643 §2.5: null is unassigned); on add
   * null adds nothing. On remove it lists the values of a multi-valued attribute to remove.
   */
  readonly value?: unknown
}

export interface PatchLimits {
  /** Default MAX_OPERATIONS, as advertised in /ServiceProviderConfig. */
  readonly maxOperations?: number
}

const OP_NAMES: readonly PatchOpName[] = ['add', 'replace', 'remove']

/** RFC 7644 §3.5.2: validates a PatchOp body and returns its operations; throws ScimError 400. */
export function parsePatchRequest(body: unknown, limits: PatchLimits = {}): PatchOperation[] {
  if (!isObject(body)) {
    throw ScimError.badRequest(
      'invalidSyntax',
      `The PATCH body must be a JSON object with "schemas" and "Operations", found ${kindOf(body)}`,
    )
  }
  // Members are looked up case-insensitively, each lookup walking every key: a bounded count keeps that cheap.
  withinObjectSize(body, 'The PATCH body')
  const schemas = getMember(body, 'schemas')
  // Some clients omit "schemas" altogether; a list that does not name PatchOp is a different message.
  if (schemas !== undefined && schemas !== null) {
    const patchOp = URN.patchOp.toLowerCase()
    if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.trim().toLowerCase() === patchOp)) {
      throw ScimError.badRequest('invalidSyntax', `"schemas" must be ["${URN.patchOp}"]`)
    }
  }
  const operations = getMember(body, 'Operations')
  if (!Array.isArray(operations)) {
    throw ScimError.badRequest(
      'invalidSyntax',
      `The PATCH body needs an "Operations" list, found ${operations === undefined ? 'none' : kindOf(operations)}`,
    )
  }
  if (operations.length === 0) throw ScimError.badRequest('invalidValue', '"Operations" is empty: a PATCH needs at least one operation')
  const max = limits.maxOperations ?? MAX_OPERATIONS
  if (operations.length > max) {
    throw ScimError.badRequest(
      'invalidValue',
      `"Operations" has ${operations.length} operations, more than the limit of ${max} per request`,
    )
  }
  let comparisonsLeft = MAX_PATH_COMPARISONS
  return operations.map((raw: unknown, index) => {
    const operation = parseOperation(raw, index)
    // Counted as they are parsed, so parsing stops at the operation that goes over.
    if (operation.path?.valueFilter) comparisonsLeft -= filterComparisons(operation.path.valueFilter)
    if (comparisonsLeft < 0) {
      throw ScimError.badRequest(
        'tooMany',
        `${describeOperation(operation)}: the paths of this request hold more than ${MAX_PATH_COMPARISONS} filter comparisons in all; send the operations in several requests`,
      )
    }
    return operation
  })
}

function parseOperation(raw: unknown, index: number): PatchOperation {
  const fail = (scimType: ScimType, detail: string, op?: PatchOpName, rawPath?: string): never => {
    throw ScimError.badRequest(scimType, `${describeOperation({ index, op, rawPath })}: ${detail}`)
  }
  if (!isObject(raw))
    return fail('invalidSyntax', `each operation must be an object with "op" and "path" and/or "value", found ${kindOf(raw)}`)
  if (Object.keys(raw).length > MAX_OBJECT_KEYS) {
    return fail('invalidValue', `the operation has more than ${MAX_OBJECT_KEYS} members; it needs "op", "path" and "value" only`)
  }
  const opValue = getMember(raw, 'op')
  // Microsoft Entra ID capitalises op names ("Replace"); OneLogin and JumpCloud write lower case (patch-request.test.ts "op names").
  const op = OP_NAMES.find((name) => typeof opValue === 'string' && opValue.trim().toLowerCase() === name)
  if (!op) {
    return fail(
      'invalidSyntax',
      `"op" must be "add", "replace" or "remove", found ${typeof opValue === 'string' ? `"${clip(opValue, 40)}"` : kindOf(opValue)}`,
    )
  }
  const pathValue = getMember(raw, 'path')
  let rawPath: string | undefined
  let path: PatchPath | undefined
  if (pathValue !== undefined && pathValue !== null) {
    if (typeof pathValue !== 'string') return fail('invalidPath', `"path" must be a string, found ${kindOf(pathValue)}`, op)
    // An empty path is how several clients say "no path".
    if (pathValue.trim() !== '') {
      rawPath = pathValue
      try {
        path = parsePatchPath(pathValue)
      } catch (error) {
        if (error instanceof ScimError) return fail(error.scimType ?? 'invalidPath', error.detail, op, rawPath)
        throw error
      }
    }
  }
  const value = getMember(raw, 'value')
  if (op === 'remove' && path === undefined) {
    return fail('noTarget', '"remove" needs a "path" naming what to remove', op)
  }
  if (op !== 'remove' && value === undefined) return fail('invalidValue', `"${op}" needs a "value"`, op, rawPath)
  if (op !== 'remove' && path === undefined && !isObject(value)) {
    return fail('invalidValue', `without a "path", "value" must be an object of attributes, found ${kindOf(value)}`, op)
  }
  try {
    assertShallow(value)
  } catch (error) {
    if (error instanceof ScimError) return fail(error.scimType ?? 'invalidValue', error.detail, op, rawPath)
    throw error
  }
  return {
    index,
    op,
    ...(path === undefined ? {} : { path, rawPath }),
    ...(value === undefined ? {} : { value }),
  }
}

/** "Operation 2 (remove userName)"; `key` names the member of a no-path value being applied. */
export function describeOperation(
  operation: { readonly index: number; readonly op?: PatchOpName; readonly rawPath?: string; readonly path?: PatchPath },
  key?: string,
): string {
  const path = operation.rawPath ?? (operation.path === undefined ? undefined : formatPatchPath(operation.path))
  let what = operation.op ?? ''
  if (path !== undefined) what += ` ${clip(path)}`
  else if (key !== undefined) what += ' without path'
  if (key !== undefined) what += `, attribute "${clip(key)}"`
  return `Operation ${operation.index + 1}${what === '' ? '' : ` (${what})`}`
}
