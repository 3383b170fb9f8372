import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

/**
 * One load run, in its own process so the load generator never shares an event loop with the
 * server it measures. Reads a JSON job from argv[2], rotates through its paths, prints JSON.
 */
interface Job {
  url: string
  paths: string[]
  headers: Record<string, string>
  connections: number
  seconds: number
  /** Seconds before a request counts as a timeout (autocannon's default is 10). */
  timeout?: number
  /** Writes (bench/writes.ts): the method, one body per path (same index), and exactly `amount` requests instead of `seconds`. */
  method?: string
  bodies?: string[]
  amount?: number
}

// A job too large for the command line (a write run's bodies) comes as @file.
const arg = process.argv[2] ?? '{}'
const job = JSON.parse(arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg) as Job
let next = 0
// A run of a fixed amount ends on autocannon's one-second tick: its own start and finish are that coarse.
let first = 0
let last = 0
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  ...(job.amount ? { amount: job.amount } : { duration: job.seconds }),
  timeout: job.timeout ?? 10,
  headers: job.headers,
  ...(job.method ? { method: job.method as 'GET' } : {}),
  requests: [
    {
      setupRequest: (request) => {
        if (next === 0) first = performance.now()
        const i = next++ % job.paths.length
        request.path = job.paths[i]!
        if (job.bodies) request.body = job.bodies[i]!
        return request
      },
      onResponse: () => {
        last = performance.now()
      },
    },
  ],
})
// Responses per status code ("200", "400", ...): a case may accept a status other than 2xx.
const statuses: Record<string, number> = {}
for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = Number(stat.count ?? 0)
process.stdout.write(
  JSON.stringify({
    requests: result.requests.average,
    p50: result.latency.p50,
    mean: result.latency.average,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    // autocannon's errors already include its timeouts.
    errors: result.errors,
    // For runs of a fixed amount: requests over the time from the first request to the last response.
    total: result.requests.total,
    elapsedMs: last - first,
    statuses,
  }),
)
