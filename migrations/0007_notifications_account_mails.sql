-- Account mails (email verification) join the outbox: trainer_id becomes nullable (a table rebuild
-- in SQLite, rows kept), user_id names the user an account mail is for.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_notifications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`trainer_id` integer,
	`user_id` integer,
	`booking_id` integer,
	`kind` text NOT NULL,
	`notification_type` text NOT NULL,
	`recipient` text NOT NULL,
	`subject` text DEFAULT '' NOT NULL,
	`message` text NOT NULL,
	`html` text DEFAULT '' NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`dedupe_key` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`provider_message_id` text,
	`sent_at` text,
	`failed_reason` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`trainer_id`) REFERENCES `trainers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`booking_id`) REFERENCES `bookings`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
INSERT INTO `__new_notifications`("id", "trainer_id", "booking_id", "kind", "notification_type", "recipient", "subject", "message", "html", "status", "dedupe_key", "attempts", "provider_message_id", "sent_at", "failed_reason", "created_at", "updated_at") SELECT "id", "trainer_id", "booking_id", "kind", "notification_type", "recipient", "subject", "message", "html", "status", "dedupe_key", "attempts", "provider_message_id", "sent_at", "failed_reason", "created_at", "updated_at" FROM `notifications`;--> statement-breakpoint
DROP TABLE `notifications`;--> statement-breakpoint
ALTER TABLE `__new_notifications` RENAME TO `notifications`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_dedupe_key_unique` ON `notifications` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `notifications_status_created_idx` ON `notifications` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `notifications_trainer_created_idx` ON `notifications` (`trainer_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `notifications_booking_idx` ON `notifications` (`booking_id`);--> statement-breakpoint
CREATE INDEX `notifications_user_idx` ON `notifications` (`user_id`);