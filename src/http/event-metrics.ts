import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { WebhookObserver } from '../events/webhook-deliverer.js'
import type { EventStore, WebhookChannel } from '../store/event-store.js'

/**
 * Webhook delivery metrics, by channel only (service: WEBHOOK_URL; team: the teams' own
 * URLs), never by team: the series count stays fixed whatever the number of teams. The lag is the
 * time from the change to the receiver's 2xx; the oldest undelivered event's age is read from the
 * database on each scrape, so it counts every replica's backlog and a receiver that is down.
 */
export function registerEventMetrics(registry: Registry, events: EventStore, channels: readonly WebhookChannel[]): WebhookObserver {
  const deliveries = new Counter({
    name: 'scim_webhook_deliveries_total',
    help: 'Webhook delivery attempts by channel and outcome (delivered, failed)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  })
  const lag = new Histogram({
    name: 'scim_webhook_delivery_lag_seconds',
    help: 'Time from a change to its webhook delivery (receiver answered 2xx), by channel',
    labelNames: ['channel'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3600],
    registers: [registry],
  })
  new Gauge({
    name: 'scim_webhook_oldest_undelivered_seconds',
    help: 'Age of the oldest change event an enabled webhook endpoint has not received yet (0 when none)',
    registers: [registry],
    async collect() {
      this.set(await events.oldestUndeliveredAgeSeconds(channels).catch(() => 0))
    },
  })
  return {
    delivered: (channel, seconds) => {
      deliveries.inc({ channel, outcome: 'delivered' })
      lag.observe({ channel }, seconds)
    },
    failed: (channel) => deliveries.inc({ channel, outcome: 'failed' }),
  }
}
