// What the trainer is told when a connected calendar keeps failing. Pure: data in, subject/text/HTML out.
import { html } from 'hono/html';
import { oneLine } from '../lib/text';
import { formatLocal } from '../lib/time';
import type { Rendered } from '../notifications/messages';

export function renderSyncFailing(args: {
  name: string;
  urlHint: string;
  error: string;
  failingSince: string;
  timezone: string;
  appOrigin: string;
}): Rendered {
  const since = formatLocal(args.failingSince, args.timezone, true);
  const first = `TrainerHub has not been able to read your calendar "${args.name}" (${args.urlHint}) since ${since}.`;
  const reason = `The last attempt said: ${args.error}`;
  const meaning =
    'Until it can, the busy times it last read still block bookings, but anything you have added to that calendar since does not. Check that the address still works, or enter it again in TrainerHub.';
  return {
    subject: oneLine(`Calendar "${args.name}" cannot be read`),
    text: `Hi,\n\n${first}\n\n${reason}\n\n${meaning}\n\n${args.appOrigin}`,
    html: String(
      html`<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5"><p>Hi,</p><p>${first}</p><p>${reason}</p><p>${meaning}</p><p><a href="${args.appOrigin}">${args.appOrigin}</a></p></body></html>`,
    ),
  };
}
