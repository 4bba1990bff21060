/**
 * The current time, passed in: services never read the system clock themselves, so a test can
 * pin "now" (e.g. just before midnight in Tokyo) and get the same answer every run.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A clock stopped at one instant (ISO text or epoch milliseconds). */
export const fixedClock = (at: string | number): Clock => {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return () => ms;
};

/** The clock's instant as UTC ISO text, the form every stored instant takes. */
export const isoNow = (clock: Clock): string => new Date(clock()).toISOString();
