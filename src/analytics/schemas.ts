import { pageQuery } from '../lib/pagination';
import * as z from '../lib/zod';
import { dateField } from '../scheduling/schemas';

const money = (description: string) => z.string().openapi({ example: '249.99', description });
const count = z.number().int();
const withStatus = count.openapi({ description: 'Bookings with this status.' });
const atLevel = count.openapi({ description: 'Clients at this level.' });
const currency = z.string().openapi({
  example: 'USD',
  description:
    "The trainer's main currency: that of the most recent package sale, USD when none. Every single-figure amount is in it.",
});
const byCurrency = z
  .record(z.string(), z.string())
  .openapi({ example: { USD: '500.00', EUR: '90.00' }, description: 'Amounts per currency, never added together.' });

export const dashboardOut = z
  .object({
    total_bookings: count.openapi({
      description: 'Every booking, any status; not a class place that has only ever been on the waitlist.',
    }),
    completed_bookings: count.openapi({ description: 'Bookings marked completed; no-shows are not counted.' }),
    upcoming_bookings: count.openapi({ description: 'Pending or confirmed, starting now or later.' }),
    cancelled_bookings: count,
    total_clients: count,
    active_clients: count,
    new_clients: count.openapi({ description: "Clients added this month (the trainer's zone)." }),
    total_revenue: money('All package sales ever less their refunds, in `currency`.'),
    monthly_revenue: money(
      "Package sales this month (the trainer's zone) less the refunds made this month, in `currency`.",
    ),
    revenue_by_currency: byCurrency.openapi({
      description: 'All package sales ever less their refunds, per currency.',
    }),
    average_booking_value: money(
      'Value of the package credits consumed (price ÷ sessions of their package), in `currency`, per delivered session: a completed booking, or a credit of a pack in `currency` used by hand (`use_session`: a session held outside the bookings; one used by hand for a completed booking that had no pack counts twice). Credits a late cancellation or a no-show used count as consumed (the client paid for them), but those bookings are not delivered sessions.',
    ),
    sessions_delivered: count.openapi({ description: 'Completed bookings (a no-show is not one).' }),
    prepaid_sessions_outstanding: count.openapi({
      description: 'Sessions left on packages that have not expired.',
    }),
    currency,
    platform_spend_this_month: money(
      'Completed TrainerHub (Paddle) payments this month less their partial refunds, in platform_spend_currency.',
    ),
    platform_spend_currency: z
      .string()
      .openapi({ example: 'USD', description: 'The currency of the TrainerHub payments.' }),
    as_of: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Dashboard');
export type DashboardOut = z.infer<typeof dashboardOut>;

export const PERIODS = ['week', 'month', 'year'] as const;

export const revenueQuery = z.object({
  period: z.enum(PERIODS).default('month').openapi({ description: 'ISO week (Monday first), calendar month or year.' }),
  date: dateField.optional().openapi({ description: "A day inside the period; default today in the trainer's zone." }),
});

export const revenueOut = z
  .object({
    period: z.enum(PERIODS).openapi({ description: 'The period asked for.' }),
    start_date: z.string(),
    end_date: z.string().openapi({ description: "The period's last day (inclusive)." }),
    total_revenue: money('Package sales in the period less the refunds made in it, in `currency`.'),
    refunded: money('Refunds made in the period (already taken off total_revenue), in `currency`.'),
    payment_count: count.openapi({ description: 'Packages sold in the period, any currency.' }),
    average_payment: money('The sales in `currency` ÷ their number (refunds left out).'),
    revenue_by_currency: byCurrency,
    currency,
    series: z
      .array(
        z.object({
          date: z.string().openapi({ description: 'The local date, or YYYY-MM for a year.' }),
          revenue: money('Package sales that day or month, less the refunds made in it.'),
        }),
      )
      .openapi({ description: 'One entry per local day (week, month) or per month "YYYY-MM" (year), in `currency`.' }),
  })
  .openapi('RevenueReport');
export type RevenueOut = z.infer<typeof revenueOut>;

export const dateRangeQuery = z.object({
  from: dateField.optional().openapi({ description: 'First local day (inclusive).' }),
  to: dateField.optional().openapi({ description: 'Last local day (inclusive).' }),
});
export type DateRange = z.infer<typeof dateRangeQuery>;

export const bookingStatsOut = z
  .object({
    total: count.openapi({
      description:
        'Bookings starting in the range, any status; a class place that has only ever been on the waitlist (waiting, or gone unseated) is no booking.',
    }),
    by_status: z
      .object({
        pending: withStatus,
        confirmed: withStatus,
        completed: withStatus,
        cancelled: withStatus,
        no_show: withStatus,
      })
      .openapi({ description: 'Of `total`, how many have each status.' }),
    completion_rate: z.number().openapi({ description: 'Percent, one decimal; 0 when there are no bookings.' }),
    cancellation_rate: z.number(),
    late_cancellations: count,
    no_show_bookings: count.openapi({ description: 'Bookings marked as a no-show (status `no_show`).' }),
    no_show_rate: z.number().openapi({
      description:
        'no_show_bookings ÷ (completed + no_show_bookings): of the sessions settled, the share the client missed. Percent, one decimal; 0 when there are none.',
    }),
    by_weekday: z.array(count).openapi({
      description: 'Bookings not cancelled (no-shows included) by local start weekday, 0 = Monday … 6 = Sunday.',
    }),
    by_hour: z
      .array(count)
      .openapi({ description: 'Bookings not cancelled (no-shows included) by local start hour, 0 … 23.' }),
    classes: z
      .array(
        z
          .object({
            class_session: count,
            service: count,
            name: z.string().openapi({ description: "The service's name." }),
            start_time: z.string(),
            capacity: count,
            booked: count.openapi({
              description: 'Places held: pending, confirmed, completed and no-show (not cancelled, not waitlisted).',
            }),
            attended: count.openapi({ description: 'Places marked completed.' }),
            no_shows: count.openapi({ description: 'Places marked as a no-show.' }),
          })
          .openapi('ClassAttendance'),
      )
      .openapi({
        description:
          'Each scheduled (not cancelled) class session starting in the range, by start; empty for a trainer without classes.',
      }),
  })
  .openapi('BookingStats');
export type BookingStatsOut = z.infer<typeof bookingStatsOut>;

export const clientStatsOut = z
  .object({
    total_clients: count,
    active_clients: count,
    inactive_clients: count,
    by_fitness_level: z
      .object({ beginner: atLevel, intermediate: atLevel, advanced: atLevel, athlete: atLevel })
      .openapi({ description: 'Clients at each fitness level.' }),
    new_clients_by_month: z
      .array(
        z.object({
          month: z.string().openapi({ description: 'YYYY-MM.' }),
          count: count.openapi({ description: 'Clients added that month.' }),
        }),
      )
      .openapi({ description: 'The last 12 local months, oldest first, the current one included.' }),
    clients_without_upcoming_booking: count.openapi({
      description: 'Active clients with no pending or confirmed booking starting now or later.',
    }),
  })
  .openapi('ClientStats');
export type ClientStatsOut = z.infer<typeof clientStatsOut>;

export const metricOut = z
  .object({
    date: z.string(),
    bookings_count: count.openapi({ description: 'Bookings starting that local day, any status (no-shows included).' }),
    completed_bookings: count.openapi({ description: 'Of those, completed; a no-show is not counted.' }),
    cancelled_bookings: count,
    revenue: money('That day’s package sales in `currency`.'),
    currency: z.string(),
    new_clients: count,
    active_clients: count,
  })
  .openapi('DailyMetrics');
export type MetricOut = z.infer<typeof metricOut>;

export const metricListQuery = pageQuery.extend(dateRangeQuery.shape);
export type MetricListQuery = z.infer<typeof metricListQuery>;
