CREATE TABLE `retired_slugs` (
	`slug` text PRIMARY KEY NOT NULL,
	`trainer_id` integer,
	`retired_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`trainer_id`) REFERENCES `trainers`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `retired_slugs_trainer_idx` ON `retired_slugs` (`trainer_id`);--> statement-breakpoint
-- A slug its trainer left is retired, for them: the trainer who takes it back removes it.
CREATE TRIGGER `trainer_slug_retires` AFTER UPDATE OF `slug` ON `trainers`
WHEN OLD.`slug` <> NEW.`slug`
BEGIN
  DELETE FROM `retired_slugs` WHERE `slug` = NEW.`slug`;
  INSERT OR REPLACE INTO `retired_slugs` (`slug`, `trainer_id`) VALUES (OLD.`slug`, OLD.`id`);
END;
--> statement-breakpoint
-- A deleted trainer's slug stays retired, for no one.
CREATE TRIGGER `trainer_slug_retires_on_delete` AFTER DELETE ON `trainers`
BEGIN
  INSERT OR REPLACE INTO `retired_slugs` (`slug`, `trainer_id`) VALUES (OLD.`slug`, NULL);
END;
--> statement-breakpoint
-- No one else takes a retired slug: refused like a slug in use (the message is a unique violation's).
CREATE TRIGGER `trainer_slug_reserved_on_update` BEFORE UPDATE OF `slug` ON `trainers`
WHEN OLD.`slug` <> NEW.`slug`
  AND EXISTS (SELECT 1 FROM `retired_slugs` WHERE `slug` = NEW.`slug` AND `trainer_id` IS NOT NEW.`id`)
BEGIN
  SELECT RAISE(ABORT, 'UNIQUE constraint failed: trainers.slug (retired)');
END;
--> statement-breakpoint
CREATE TRIGGER `trainer_slug_reserved_on_insert` BEFORE INSERT ON `trainers`
WHEN EXISTS (SELECT 1 FROM `retired_slugs` WHERE `slug` = NEW.`slug`)
BEGIN
  SELECT RAISE(ABORT, 'UNIQUE constraint failed: trainers.slug (retired)');
END;
