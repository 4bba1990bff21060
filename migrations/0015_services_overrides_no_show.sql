CREATE TABLE `availability_overrides` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`trainer_id` integer NOT NULL,
	`date` text NOT NULL,
	`windows` text DEFAULT '[]' NOT NULL,
	`reason` text DEFAULT '' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`trainer_id`) REFERENCES `trainers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `availability_overrides_trainer_date_unique` ON `availability_overrides` (`trainer_id`,`date`);--> statement-breakpoint
CREATE TABLE `services` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`trainer_id` integer NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`duration_minutes` integer NOT NULL,
	`price_cents` integer,
	`currency` text,
	`buffer_before_minutes` integer DEFAULT 0 NOT NULL,
	`buffer_after_minutes` integer DEFAULT 0 NOT NULL,
	`location_type` text DEFAULT 'in_person' NOT NULL,
	`location` text DEFAULT '' NOT NULL,
	`video_url` text DEFAULT '' NOT NULL,
	`color` text DEFAULT '' NOT NULL,
	`is_public` integer DEFAULT true NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`is_default` integer DEFAULT false NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`trainer_id`) REFERENCES `trainers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `services_trainer_position_idx` ON `services` (`trainer_id`,`position`);--> statement-breakpoint
CREATE UNIQUE INDEX `services_trainer_default_unique` ON `services` (`trainer_id`) WHERE is_default = 1;--> statement-breakpoint
CREATE TABLE `session_package_services` (
	`session_package_id` integer NOT NULL,
	`service_id` integer NOT NULL,
	FOREIGN KEY (`session_package_id`) REFERENCES `session_packages`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `session_package_services_unique` ON `session_package_services` (`session_package_id`,`service_id`);--> statement-breakpoint
CREATE INDEX `session_package_services_service_idx` ON `session_package_services` (`service_id`);--> statement-breakpoint
ALTER TABLE `bookings` ADD `service_id` integer REFERENCES services(id);--> statement-breakpoint
ALTER TABLE `bookings` ADD `occupied_start` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `bookings` ADD `occupied_end` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `bookings_service_idx` ON `bookings` (`service_id`);--> statement-breakpoint
ALTER TABLE `trainer_breaks` ADD `start_time` text;--> statement-breakpoint
ALTER TABLE `trainer_breaks` ADD `end_time` text;--> statement-breakpoint
ALTER TABLE `trainers` ADD `no_show_uses_credit` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `trainers` ADD `schedule_version` integer DEFAULT 0 NOT NULL;