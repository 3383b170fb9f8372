import { URN } from '../core/schemas.js'

/** RFC 7644 §3.12 Table 9 scimType values, plus RFC 9865's cursor errors. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  | 'invalidCursor'
  | 'expiredCursor'

/**
 * An error with a public part (status, scimType, detail written for the IdP admin reading a
 * provisioning log) and an optional private cause that only goes to the log.
 */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
    options?: { cause?: unknown },
  ) {
    super(detail, options)
    this.name = 'ScimError'
  }

  /** RFC 7644 §3.12 error body; `status` is a string per the RFC's example and schema. */
  toBody(): ScimErrorBody {
    return {
      schemas: [URN.error],
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.detail,
    }
  }

  static badRequest(scimType: ScimType, detail: string): ScimError {
    return new ScimError(400, detail, scimType)
  }
}

export interface ScimErrorBody {
  schemas: string[]
  status: string
  scimType?: ScimType
  detail: string
}
