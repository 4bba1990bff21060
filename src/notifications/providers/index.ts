import type { NotifyConfig } from '../../lib/config';
import { logProvider } from './log';
import { sendgridProvider } from './sendgrid';
import { twilioProvider } from './twilio';
import type { Provider } from './types';

export type { OutboundMessage, Provider, SendResult } from './types';

/**
 * A live channel without its credentials fails visibly and retryably: the row stays pending
 * through the retries (set the secret meanwhile and it goes), then `failed` and dead-lettered.
 * Never "sent". GET /health/ready names the missing setting.
 */
const missing = (what: string): Provider => ({
  async send() {
    return { ok: false, retryable: true, reason: `${what} is not configured` };
  },
});

/** The provider for a channel: `log` unless the configured provider is `live` (production's default). */
export function providerFor(config: NotifyConfig, channel: 'email' | 'sms' | 'push'): Provider {
  if (config.provider !== 'live') return logProvider(config.quiet);
  if (channel === 'email') {
    const { apiKey, baseUrl } = config.sendgrid;
    const { emailFrom: from, providerTimeoutSeconds: timeoutSeconds } = config;
    return apiKey ? sendgridProvider({ apiKey, baseUrl, from, timeoutSeconds }) : missing('SENDGRID_API_KEY');
  }
  if (channel === 'sms') {
    const { accountSid, authToken, baseUrl } = config.twilio;
    return accountSid && authToken
      ? twilioProvider({
          accountSid,
          authToken,
          baseUrl,
          from: config.smsFrom,
          timeoutSeconds: config.providerTimeoutSeconds,
        })
      : missing('TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN');
  }
  return missing('a push provider');
}
