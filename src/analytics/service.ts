// The trainer's business in numbers. Every figure is an SQL aggregate (nothing loads one row
// per booking into the Worker), periods are local days of the trainer's zone turned into UTC
// instants, and money stays integer cents until lib/money formats it. One file per report.
export { rollupBookingMonths } from './booking-months';
export { bookingStats } from './booking-stats';
export { clientStats } from './client-stats';
export { dashboard } from './dashboard';
export { listMetrics } from './metrics';
export { revenueReport } from './revenue';
export { rollupDashboardMetrics } from './rollup';
