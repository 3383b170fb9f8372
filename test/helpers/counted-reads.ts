import type { PgEventStore } from '../../src/store/pg/pg-event-store.js'

/** The real event store, counting its feed reads (`listChanges`): how many queries the feed made. */
export function countedReads(events: PgEventStore): { store: PgEventStore; reads: () => number } {
  let reads = 0
  const store = Object.create(events) as PgEventStore
  store.listChanges = (...args) => {
    reads++
    return events.listChanges(...args)
  }
  return { store, reads: () => reads }
}
