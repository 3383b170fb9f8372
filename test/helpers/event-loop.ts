import { monitorEventLoopDelay } from 'node:perf_hooks'

/** The service's budget: no request under the body limit holds the event loop longer than this. */
export const LOOP_LIMIT_MS = 100

const RESOLUTION_MS = 5
const tick = () => new Promise((resolve) => setTimeout(resolve, 4 * RESOLUTION_MS))

/**
 * The longest the event loop was held while `work` ran, in ms, with the value of its first run.
 *
 * The histogram measures from one tick of its timer to the next, so the timer must tick once before
 * the work starts and once after it ends: without the first tick a loop blocked from the start records
 * almost nothing (a 300 ms block measured 10 ms). A noisy neighbour (other test files, the OS; the
 * machine is shared) can delay a timer too, so the work runs again while it measures over `limitMs`,
 * up to `runs` times (5), and the best run counts: a request that blocks the loop itself blocks it on every
 * run. `work` should therefore answer the same each time (a refused or read-only request).
 */
export async function loopHeld<T>(work: () => Promise<T>, { limitMs = LOOP_LIMIT_MS, runs = 5 } = {}): Promise<{ value: T; ms: number }> {
  let best = Infinity
  let first: { value: T } | undefined
  for (let run = 0; run < runs && best >= limitMs; run++) {
    const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
    histogram.enable()
    try {
      await tick()
      const value = await work()
      first ??= { value }
      await tick()
    } finally {
      histogram.disable()
    }
    best = Math.min(best, histogram.max / 1e6)
  }
  return { value: first!.value, ms: best }
}
