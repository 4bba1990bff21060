/**
 * The API Worker's bindings (wrangler.toml) that the console's Worker does not have
 * (wrangler.console.toml declares every other one; test/node/console-config.test.ts holds this list
 * to the two files). Its `fetch` leaves them out of the env it hands the app, so that in the tests,
 * where both Workers share one env, console code that reached for one fails as it would deployed.
 */
export const API_ONLY_BINDINGS = ['CALENDAR_PARSER', 'CALENDAR_QUEUE', 'CONSOLE'] as const;
