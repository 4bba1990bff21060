ALTER TABLE `trainers` ADD `notification_count` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- trainers.notification_count: how many notifications (outbox rows) the trainer has, of any kind
-- and status, kept in the same transaction as every insert and delete of one, whoever writes it
-- (a booking's batch, the reminder cron, a cascade). Account mails (no trainer) change no count.
-- The notifications list's unfiltered page count reads it (src/notifications/service.ts) instead
-- of counting every message the trainer was ever sent.
CREATE TRIGGER `notification_count_insert` AFTER INSERT ON `notifications`
WHEN NEW.`trainer_id` IS NOT NULL
BEGIN
  UPDATE `trainers` SET `notification_count` = `notification_count` + 1 WHERE `id` = NEW.`trainer_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `notification_count_delete` AFTER DELETE ON `notifications`
WHEN OLD.`trainer_id` IS NOT NULL
BEGIN
  UPDATE `trainers` SET `notification_count` = `notification_count` - 1 WHERE `id` = OLD.`trainer_id`;
END;
--> statement-breakpoint
-- Nothing moves a notification to another trainer today; if anything ever does, both counts follow.
CREATE TRIGGER `notification_count_trainer_change` AFTER UPDATE OF `trainer_id` ON `notifications`
WHEN OLD.`trainer_id` IS NOT NEW.`trainer_id`
BEGIN
  UPDATE `trainers` SET `notification_count` = `notification_count` - 1 WHERE `id` = OLD.`trainer_id`;
  UPDATE `trainers` SET `notification_count` = `notification_count` + 1 WHERE `id` = NEW.`trainer_id`;
END;
--> statement-breakpoint
-- Last, once every trigger keeps it: an absolute value, right whatever was written before.
UPDATE `trainers` SET `notification_count` = (SELECT count(*) FROM `notifications` WHERE `trainer_id` = `trainers`.`id`);
