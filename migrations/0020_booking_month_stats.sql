CREATE TABLE `booking_month_stats` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`trainer_id` integer NOT NULL,
	`month` text NOT NULL,
	`range_start` text NOT NULL,
	`range_end` text NOT NULL,
	`total` integer NOT NULL,
	`pending` integer NOT NULL,
	`confirmed` integer NOT NULL,
	`completed` integer NOT NULL,
	`cancelled` integer NOT NULL,
	`no_show` integer NOT NULL,
	`waitlisted` integer NOT NULL,
	`late` integer NOT NULL,
	`grid` text DEFAULT '{}' NOT NULL,
	`computed_at` text NOT NULL,
	FOREIGN KEY (`trainer_id`) REFERENCES `trainers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `booking_month_stats_trainer_month_unique` ON `booking_month_stats` (`trainer_id`,`month`);--> statement-breakpoint
CREATE INDEX `booking_month_stats_trainer_range_idx` ON `booking_month_stats` (`trainer_id`,`range_start`);