import type { Provider } from './types';

/** Development and tests: records the message as sent, touches no network. */
export const logProvider = (quiet: boolean): Provider => ({
  async send(message) {
    const id = `log-${crypto.randomUUID()}`;
    if (!quiet) {
      const { attachments, ...rest } = message;
      const files = (attachments ?? []).map((a) => a.filename);
      console.log(
        JSON.stringify({ level: 'info', msg: 'notification (log provider)', id, ...rest, attachments: files }),
      );
    }
    return { ok: true, id };
  },
});
