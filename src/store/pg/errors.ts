import { type ConflictRule, StoreConflict, StoreTimeout, StoreUnavailable } from '../store-errors.js'

/** Unique constraints by name (schema.ts) -> the rule they enforce. Anything else stays unmapped. */
const RULES: Record<string, ConflictRule> = {
  accounts_email_key: 'accountEmail',
  team_memberships_one_team_key: 'oneTeamPerAccount',
  team_memberships_pkey: 'oneTeamPerAccount',
  team_memberships_one_owner_key: 'oneOwnerPerTeam',
  scim_connections_one_enabled_key: 'oneEnabledConnection',
  scim_users_user_name_key: 'userName',
  scim_groups_display_name_key: 'groupDisplayName',
}

/** SQLSTATE classes meaning "the database is not there" rather than "the query is wrong". */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300'])
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'])

interface DriverError {
  code?: string
  constraint?: string
  message?: string
}

/** drizzle wraps the driver's error (DrizzleQueryError.cause); look through the chain. */
function driverError(error: unknown): DriverError | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const candidate = current as DriverError & { cause?: unknown }
    if (typeof candidate.code === 'string') return candidate
    current = candidate.cause
  }
  return undefined
}

/** Translates driver errors into the store's domain errors; returns anything else unchanged. */
export function translateError(error: unknown): unknown {
  if (error instanceof StoreConflict || error instanceof StoreUnavailable || error instanceof StoreTimeout) return error
  const cause = driverError(error)
  if (cause?.code === '23505' && cause.constraint && RULES[cause.constraint]) {
    return new StoreConflict(RULES[cause.constraint]!, { cause: error })
  }
  // query_canceled: the statement timeout fired (a client cancel is not something this service sends).
  if (cause?.code === '57014') return new StoreTimeout({ cause: error })
  if (cause?.code && (UNAVAILABLE_CODES.has(cause.code) || NETWORK_CODES.has(cause.code))) {
    return new StoreUnavailable({ cause: error })
  }
  if (isConnectionLoss(error)) return new StoreUnavailable({ cause: error })
  return error
}

/** node-postgres reports a lost or refused connection as a plain Error without a SQLSTATE. */
function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const cause = error.cause instanceof Error ? error.cause.message : typeof error.cause === 'string' ? error.cause : ''
  const text = `${error.message} ${cause}`
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error/i.test(
    text,
  )
}

/**
 * `Adapter` with every method's failure translated (translateError): the one place where driver
 * errors leave an adapter as the store's errors, whichever adapter and statement raised them. Done
 * once per class, so a transaction's adapters cost no more to make than the class's own. Every port
 * method is async.
 */
export function translatingErrors<Args extends unknown[], Port extends object>(
  Adapter: new (...args: Args) => Port,
): new (...args: Args) => Port {
  const Translating = class extends (Adapter as new (...args: Args) => object) {}
  for (const name of methodNames(Adapter.prototype as object)) {
    const method = (Adapter.prototype as Record<string, (...args: unknown[]) => Promise<unknown>>)[name]!
    Object.defineProperty(Translating.prototype, name, {
      configurable: true,
      writable: true,
      value: async function (this: Port, ...args: unknown[]) {
        try {
          return await method.apply(this, args)
        } catch (error) {
          throw translateError(error)
        }
      },
    })
  }
  return Translating as unknown as new (...args: Args) => Port
}

/** The names of an object's methods, up its class chain (not Object's own). */
export function methodNames(object: object): string[] {
  const names = new Set<string>()
  for (let o: object | null = object; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) {
      const descriptor = Object.getOwnPropertyDescriptor(o, name)
      if (name !== 'constructor' && typeof descriptor?.value === 'function') names.add(name)
    }
  }
  return [...names]
}
