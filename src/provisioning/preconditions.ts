import { etag, ifMatchHolds } from '../scim/protocol/entity-tag.js'
import { ScimError } from '../scim/protocol/scim-error.js'

/** RFC 7644 §3.14: a write with If-Match proceeds only while the stored version still matches. */
export function checkIfMatch(ifMatch: string | undefined, version: number, what: string): void {
  if (ifMatch === undefined) return
  if (ifMatchHolds(ifMatch, version)) return
  throw new ScimError(412, `The ${what} changed: its version is now ${etag(version)}`)
}
