import type { Provider } from './types';

/** Development and tests: records the message as sent, touches no network. */
export const logProvider = (quiet: boolean): Provider => ({
  async send(message) {
    const id = `log-${crypto.randomUUID()}`;
    if (!quiet) console.log(JSON.stringify({ level: 'info', msg: 'notification (log provider)', id, ...message }));
    return { ok: true, id };
  },
});
