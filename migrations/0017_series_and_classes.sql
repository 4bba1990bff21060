CREATE TABLE `booking_series` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`trainer_id` integer NOT NULL,
	`client_id` integer NOT NULL,
	`service_id` integer NOT NULL,
	`weekdays` text NOT NULL,
	`interval_weeks` integer DEFAULT 1 NOT NULL,
	`count` integer,
	`until` text,
	`first_start` text NOT NULL,
	`local_time` text NOT NULL,
	`timezone` text NOT NULL,
	`client_package_id` integer,
	`notes` text DEFAULT '' NOT NULL,
	`cancelled_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`trainer_id`) REFERENCES `trainers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`client_package_id`) REFERENCES `client_packages`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE INDEX `booking_series_trainer_idx` ON `booking_series` (`trainer_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `class_sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`trainer_id` integer NOT NULL,
	`service_id` integer NOT NULL,
	`start_time` text NOT NULL,
	`end_time` text NOT NULL,
	`occupied_start` text NOT NULL,
	`occupied_end` text NOT NULL,
	`capacity` integer NOT NULL,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`cancellation_reason` text DEFAULT '' NOT NULL,
	`cancelled_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`trainer_id`) REFERENCES `trainers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE INDEX `class_sessions_trainer_start_idx` ON `class_sessions` (`trainer_id`,`status`,`start_time`);--> statement-breakpoint
ALTER TABLE `bookings` ADD `series_id` integer REFERENCES booking_series(id);--> statement-breakpoint
ALTER TABLE `bookings` ADD `class_session_id` integer REFERENCES class_sessions(id);--> statement-breakpoint
CREATE INDEX `bookings_series_idx` ON `bookings` (`series_id`);--> statement-breakpoint
CREATE INDEX `bookings_class_session_idx` ON `bookings` (`class_session_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `bookings_class_client_unique` ON `bookings` (`class_session_id`,`client_id`) WHERE class_session_id IS NOT NULL AND status IN ('pending', 'confirmed', 'waitlisted');--> statement-breakpoint
ALTER TABLE `services` ADD `capacity` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `trainers` ADD `waitlist_cutoff_hours` integer DEFAULT 2 NOT NULL;