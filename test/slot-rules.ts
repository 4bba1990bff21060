// What the pure slot tests share: rules with every knob at its neutral value, a fixed "now",
// and a weekly window.
import type { SlotRules, WeeklyWindow } from '../src/scheduling/slots';

export const rules = (timezone: string, extra: Partial<SlotRules> = {}): SlotRules => ({
  timezone,
  durationMinutes: 60,
  slotIntervalMinutes: 30,
  bufferBeforeMinutes: 0,
  bufferAfterMinutes: 0,
  minNoticeMinutes: 0,
  bookingHorizonDays: 365,
  ...extra,
});

export const NOW = Date.parse('2025-01-01T00:00:00Z');

export const w = (dayOfWeek: number, startTime: string, endTime: string): WeeklyWindow => ({
  dayOfWeek,
  startTime,
  endTime,
});
