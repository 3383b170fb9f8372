/** Injected, never read from Date directly: tests pin time through it. */
export type Clock = () => Date
export const systemClock: Clock = () => new Date()
