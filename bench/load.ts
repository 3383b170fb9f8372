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
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job
let next = 0
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.seconds,
  timeout: job.timeout ?? 10,
  headers: job.headers,
  requests: [
    {
      setupRequest: (request) => {
        request.path = job.paths[next++ % job.paths.length]!
        return request
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
    statuses,
  }),
)
