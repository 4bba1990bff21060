// The calendar parser Worker (wrangler.calendar-parser.toml): the busy time of an iCalendar file,
// over RPC, for the API Worker's calendar sync (CALENDAR_PARSER binding; see ./busy.ts for why it
// is a Worker of its own). It holds no binding, no secret and no state: text in, blocks out.
import { WorkerEntrypoint } from 'cloudflare:workers';
import type { ExpandOptions, ParsedCalendar } from './busy';
import { parseCalendar } from './expand';

export default class CalendarParserWorker extends WorkerEntrypoint {
  async busy(ics: string, opts: ExpandOptions): Promise<ParsedCalendar> {
    return parseCalendar(ics, opts);
  }
}
