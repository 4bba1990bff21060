import { consoleRouter } from './console';
import { adminApiRouter } from './routes';

/** The staff console Worker's routers: the admin API, then the console's pages. */
export const CONSOLE_AREAS = [adminApiRouter, consoleRouter];
