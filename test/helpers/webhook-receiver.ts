import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import type { Test } from 'tap'

/** One POST the receiver got. */
export interface Delivery {
  /** The webhook-id header. */
  id: string
  body: string
  headers: IncomingHttpHeaders
  /** Whether the signature verifies with the secret, by the Standard Webhooks package's own code. */
  verified: boolean
  /** The parsed body (undefined when it is not JSON). */
  payload: { data: { id: string; kind: string; teamId: string; cursor: string; changes?: unknown } } | undefined
  /** What the receiver answered; 0 while it hangs. */
  status: number
}

export interface WebhookReceiver {
  /** http://127.0.0.1:port/hook */
  url: string
  /** Every request, in arrival order. */
  requests: Delivery[]
  /** The requests answered with a 2xx. */
  delivered: () => Delivery[]
  /** Checks later requests against this secret (a team URL's own, issued when the URL is set). */
  useSecret: (secret: string) => void
}

/**
 * A team's webhook receiver on 127.0.0.1 and a free port: records every request and checks its signature
 * against `secret` as a receiver would. `respond` picks each answer (204 unless told; 'hang' never answers),
 * sent after `delayMs`. Closed at teardown, hung requests too.
 */
export async function webhookReceiver(
  t: Test,
  secret: string,
  options: { respond?: () => number | 'hang'; delayMs?: number } = {},
): Promise<WebhookReceiver> {
  let verifier = new Webhook(secret)
  const requests: Delivery[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const answer = options.respond?.() ?? 204
      requests.push({
        id: String(request.headers['webhook-id']),
        body,
        headers: request.headers,
        verified: verifies(verifier, body, request.headers),
        payload: parsed(body),
        status: answer === 'hang' ? 0 : answer,
      })
      if (answer === 'hang') return
      if (options.delayMs) setTimeout(() => response.writeHead(answer).end(), options.delayMs)
      else response.writeHead(answer).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests,
    delivered: () => requests.filter((r) => r.status >= 200 && r.status < 300),
    useSecret: (next) => void (verifier = new Webhook(next)),
  }
}

function verifies(verifier: Webhook, body: string, headers: IncomingHttpHeaders): boolean {
  try {
    verifier.verify(body, headers as Record<string, string>)
    return true
  } catch {
    return false
  }
}

function parsed(body: string): Delivery['payload'] {
  try {
    return JSON.parse(body) as Delivery['payload']
  } catch {
    return undefined
  }
}
