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
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job
let next = 0
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.seconds,
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
process.stdout.write(
  JSON.stringify({
    requests: result.requests.average,
    p50: result.latency.p50,
    mean: result.latency.average,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }),
)
