CREATE INDEX `bookings_pending_created_idx` ON `bookings` (`created_at`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `calendar_connections_failing_idx` ON `calendar_connections` (`failing_since`) WHERE failing_since IS NOT NULL;--> statement-breakpoint
CREATE INDEX `subscriptions_status_idx` ON `subscriptions` (`status`);--> statement-breakpoint
CREATE INDEX `webhook_events_error_idx` ON `webhook_events` (`occurred_at`) WHERE error IS NOT NULL;