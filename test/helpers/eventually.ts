import { setTimeout as sleep } from 'node:timers/promises'

export interface Polling {
  /** How long to keep looking (10 s unless told): a loaded machine slows a test down instead of failing it. */
  timeoutMs?: number
  /** The pause between two looks (50 ms unless told). */
  everyMs?: number
}

/**
 * Calls `check` until `done` holds for its value or `timeoutMs` has passed, and resolves with the last
 * value either way: the caller asserts on it, so a timeout fails with what was seen last.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 10_000, everyMs = 50 }: Polling = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let value = await check()
  while (!done(value) && Date.now() < deadline) {
    await sleep(everyMs)
    value = await check()
  }
  return value
}

/** Whether `condition` came true within `timeoutMs` (polled as `eventually` polls). */
export async function until(condition: () => boolean | Promise<boolean>, polling: Polling = {}): Promise<boolean> {
  return eventually(condition, (held) => held, polling)
}
