import { etag } from '../scim/core/user-resource.js'
import { ScimError } from '../scim/protocol/scim-error.js'

/** RFC 7644 §3.14: a write with If-Match proceeds only while the stored version still matches. */
export function checkIfMatch(ifMatch: string | undefined, version: number, what: string): void {
  if (ifMatch === undefined) return
  const tags = ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''))
  if (tags.includes('*') || tags.includes(etag(version).replace(/^W\//, ''))) return
  throw new ScimError(412, `The ${what} changed: its version is now ${etag(version)}`)
}
