/** Injected so tests can pin time (DESIGN.md §4 rule 7). */
export type Clock = () => Date
export const systemClock: Clock = () => new Date()
