import { spawn, type ChildProcess } from 'node:child_process'
import { until } from './eventually.js'
import { freePort } from './ports.js'

/**
 * A service process (`src/server.ts` through tsx) on 127.0.0.1 and a free port, as a replica behind a
 * load balancer; resolves once /readyz answers 200 (30 s at most, else it is killed and this throws).
 * `env` is all the process gets besides PATH, PORT and HOST.
 */
export async function startReplica(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
  })
  const url = `http://127.0.0.1:${port}`
  if (await until(() => answersReady(url), STARTING)) return { url, child }
  child.kill('SIGKILL')
  throw new Error('replica did not become ready')
}

/** How long a service process may take to answer /readyz, and how often to ask. */
export const STARTING = { timeoutMs: 30_000, everyMs: 100 }

/** Whether the service at `url` answers /readyz with 200 (false while it is not listening yet). */
export function answersReady(url: string): Promise<boolean> {
  return fetch(`${url}/readyz`).then(
    (r) => r.ok,
    () => false,
  )
}

/** One JSON request with a bearer token (and an actor for the admin API); the status and the parsed body. */
export async function callJson(
  base: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  actor?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
      ...(actor ? { 'x-actor-id': actor } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
}
