import type { OutcomeObserver } from './outcomes.js'
import type { ChangeEventInput } from '../events/change-event.js'
import type { ScimContext } from './scim-context.js'
import { ScimError } from '../scim/protocol/scim-error.js'
import type { AuditEventInput } from '../store/records.js'
import type { PortName, StoreScope } from '../store/stores.js'

export interface WriteOptions {
  readonly resource: 'user' | 'group'
  readonly action: string
  /** The resource the request names, for the rejection entry (null on create). */
  readonly resourceId: string | null
  /** Maps store errors to the SCIM error the client gets; undefined leaves an error as it is. */
  readonly reject: (error: unknown) => ScimError | undefined
  /** Whether to run the transaction again after `error` (attempt counts from 1). */
  readonly retry?: (error: unknown, attempt: number) => boolean
}

type Entry = Pick<AuditEventInput, 'outcome' | 'resourceId' | 'accountId' | 'detail'>

/**
 * One SCIM write: `work` in one transaction with its audit entry and its change events
 * (one statement, the transaction's last); after a rollback, the rejection's own audit entry (not for
 * 404 and 412: nothing was there to reject) and no event, and the outcome reported to metrics either
 * way. A rejected request changes nothing but the log.
 */
export async function auditedWrite<T, K extends PortName>(
  store: StoreScope<K | 'audit'>,
  observe: OutcomeObserver,
  ctx: ScimContext,
  options: WriteOptions,
  work: (tx: StoreScope<K | 'audit'>) => Promise<{ value: T; entry: Entry; changes?: readonly ChangeEventInput[] }>,
): Promise<T> {
  const { resource, action } = options
  for (let attempt = 1; ; attempt++) {
    try {
      const { value, outcome } = await store.transaction(async (tx) => {
        const { value, entry, changes = [] } = await work(tx)
        await tx.audit.recordChanges(ctx.teamId, { source: 'scim', action, endpointId: ctx.endpointId, ...entry }, changes)
        return { value, outcome: entry.outcome }
      })
      observe({ resource, action, outcome })
      return value
    } catch (error) {
      if (options.retry?.(error, attempt)) continue
      const rejection = error instanceof ScimError ? error : options.reject(error)
      if (rejection) {
        const outcome = `rejected:${rejection.status}`
        observe({ resource, action, outcome })
        if (rejection.status !== 404 && rejection.status !== 412) {
          await store.audit
            .appendEvent(ctx.teamId, {
              source: 'scim',
              action,
              outcome,
              endpointId: ctx.endpointId,
              resourceId: options.resourceId,
              detail: rejection.detail,
            })
            .catch(() => undefined)
        }
      }
      throw rejection ?? error
    }
  }
}
