import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { scim, type ScimTeam } from '../helpers/app.js'

/**
 * An identity provider's request sequence, written from its public documentation: each step is a
 * request, the status it must get, and checks on the response and on the team afterwards.
 * `{{name}}` in paths and bodies is replaced by values remembered from earlier steps.
 */
export interface Step {
  readonly name: string
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  readonly path: string
  readonly body?: unknown
  readonly headers?: Record<string, string>
  readonly status: number
  /** Values to remember from the response body, by dotted path: `{ id: 'id' }`. */
  readonly remember?: Record<string, string>
  readonly expect?: (body: Record<string, unknown>, state: ReplayState) => unknown
}

export interface ReplayState {
  readonly t: Test
  readonly app: FastifyInstance
  readonly team: ScimTeam
  readonly vars: Record<string, string>
}

function substitute<T>(value: T, vars: Record<string, string>): T {
  return JSON.parse(JSON.stringify(value ?? null).replace(/\{\{(\w+)\}\}/g, (_, name: string) => vars[name] ?? `{{${name}}}`)) as T
}

function pick(body: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], body)
}

export async function replay(t: Test, app: FastifyInstance, team: ScimTeam, steps: readonly Step[]): Promise<void> {
  const vars: Record<string, string> = {}
  for (const step of steps) {
    const path = substitute(step.path, vars)
    const res = await scim(app, team, step.method, path, step.body === undefined ? undefined : substitute(step.body, vars), step.headers)
    t.equal(res.statusCode, step.status, `${step.name}: ${step.method} ${path} -> ${step.status}`)
    if (res.statusCode !== step.status) t.comment(res.body)
    const body = res.body ? res.json<Record<string, unknown>>() : {}
    for (const [name, from] of Object.entries(step.remember ?? {})) vars[name] = String(pick(body, from))
    await step.expect?.(body, { t, app, team, vars })
  }
}
