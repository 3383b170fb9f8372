/**
 * Provisioning outcomes as they happen (created, deactivated, reactivated, rejected:409, ...), for
 * metrics. Called after the transaction committed, or after a rejection rolled it back.
 */
export type OutcomeObserver = (event: { readonly resource: 'user' | 'group'; readonly action: string; readonly outcome: string }) => void

export const ignoreOutcomes: OutcomeObserver = () => undefined
