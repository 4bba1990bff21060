CREATE TABLE `calendar_busy` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`trainer_id` integer NOT NULL,
	`connection_id` integer NOT NULL,
	`start_time` text NOT NULL,
	`end_time` text NOT NULL,
	FOREIGN KEY (`trainer_id`) REFERENCES `trainers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`connection_id`) REFERENCES `calendar_connections`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `calendar_busy_trainer_start_idx` ON `calendar_busy` (`trainer_id`,`start_time`);--> statement-breakpoint
CREATE INDEX `calendar_busy_connection_idx` ON `calendar_busy` (`connection_id`);--> statement-breakpoint
CREATE TABLE `calendar_connections` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`trainer_id` integer NOT NULL,
	`provider` text DEFAULT 'ics' NOT NULL,
	`name` text NOT NULL,
	`url_ciphertext` text NOT NULL,
	`url_hint` text NOT NULL,
	`url_hash` text NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`etag` text,
	`last_modified` text,
	`last_attempt_at` text,
	`last_synced_at` text,
	`last_error` text,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`failing_since` text,
	`busy_count` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`trainer_id`) REFERENCES `trainers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `calendar_connections_trainer_idx` ON `calendar_connections` (`trainer_id`);--> statement-breakpoint
CREATE INDEX `calendar_connections_due_idx` ON `calendar_connections` (`is_active`,`last_attempt_at`);--> statement-breakpoint
ALTER TABLE `clients` ADD `calendar_feed_generation` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `trainers` ADD `calendar_feed_generation` integer DEFAULT 0 NOT NULL;