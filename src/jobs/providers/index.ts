import type { Bindings } from '../../lib/config';
import { logProvider } from './log';
import { sendgridProvider } from './sendgrid';
import { twilioProvider } from './twilio';
import type { Provider } from './types';

export type { OutboundMessage, Provider, SendResult } from './types';

const missing = (what: string): Provider => ({
  async send() {
    return { ok: false, retryable: false, reason: `${what} is not configured` };
  },
});

/** The provider for a channel: `log` unless NOTIFY_PROVIDER is `live`. */
export function providerFor(env: Bindings, channel: 'email' | 'sms' | 'push'): Provider {
  if (env.NOTIFY_PROVIDER !== 'live') return logProvider(env.ENVIRONMENT === 'test');
  if (channel === 'email') {
    return env.SENDGRID_API_KEY
      ? sendgridProvider({ apiKey: env.SENDGRID_API_KEY, baseUrl: env.SENDGRID_API_BASE, from: env.EMAIL_FROM })
      : missing('SENDGRID_API_KEY');
  }
  if (channel === 'sms') {
    return env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN
      ? twilioProvider({
          accountSid: env.TWILIO_ACCOUNT_SID,
          authToken: env.TWILIO_AUTH_TOKEN,
          baseUrl: env.TWILIO_API_BASE,
          from: env.SMS_FROM,
        })
      : missing('TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN');
  }
  return missing('a push provider');
}
