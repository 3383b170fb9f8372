import { z } from 'zod'

/**
 * A URL webhooks are posted to: WEBHOOK_URL and a team's own URL alike. http(s) only, and no
 * user:password@, which fetch refuses on every attempt (the delivery would be retried forever).
 */
export const WebhookUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((url) => !/^[a-z]+:\/\/[^/?#]*@/i.test(url), 'a webhook URL carries no credentials (user:password@)')
