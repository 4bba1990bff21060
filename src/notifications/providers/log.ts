import type { Provider } from './types';

/** Development and tests: records the message as sent, touches no network. */
export const logProvider = (quiet: boolean): Provider => ({
  async send(message) {
    const id = `log-${crypto.randomUUID()}`;
    if (!quiet) {
      const { attachments, ...rest } = message;
      // The files whole (an .ics is small), so a developer or a browser test can read what a client gets.
      const files = (attachments ?? []).map((a) => ({ filename: a.filename, content: a.content }));
      console.log(
        JSON.stringify({ level: 'info', msg: 'notification (log provider)', id, ...rest, attachments: files }),
      );
    }
    return { ok: true, id };
  },
});
