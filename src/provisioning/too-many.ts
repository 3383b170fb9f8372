import { ScimError } from '../scim/protocol/scim-error.js'
import { StoreFilterTooBroad, StoreTimeout } from '../store/store-errors.js'

/**
 * RFC 7644 §3.12 tooMany: a list refused up front because no index narrows it on a large team (the
 * store's detail names the part and what would narrow it), or cancelled by the statement timeout:
 * the read was too large for this request, which is the client's to change (`timedOut` says how),
 * never a 503 that tells it to send the same again.
 */
export function tooMany(
  error: unknown,
  timedOut = 'The filter matched or scanned too much of this team to answer in time: narrow it (eq on userName, externalId, emails.value or id; sw or co with 3 or more characters), or page by cursor',
): never {
  if (error instanceof StoreFilterTooBroad) throw new ScimError(400, error.detail, 'tooMany', { cause: error })
  if (error instanceof StoreTimeout) throw new ScimError(400, timedOut, 'tooMany', { cause: error })
  throw error
}
