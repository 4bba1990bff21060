ALTER TABLE `webhook_events` ADD `waiting_for` text;--> statement-breakpoint
CREATE INDEX `webhook_events_waiting_idx` ON `webhook_events` (`waiting_for`);