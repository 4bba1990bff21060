-- Custom SQL migration (drizzle-kit generate --custom): drizzle does not model triggers.
-- A booking_month_stats row must always equal its month's live figures. Every change that can
-- move a booking between months or between counted statuses deletes the row(s) of the month its
-- start falls in, before and after, in the same transaction as the change; the hourly cron
-- writes missing rows again. A month is shorter than 32 days, which bounds the index scan.
CREATE TRIGGER `booking_month_stats_on_insert` AFTER INSERT ON `bookings`
BEGIN
  DELETE FROM `booking_month_stats` WHERE `trainer_id` = NEW.`trainer_id`
    AND `range_start` <= NEW.`start_time` AND `range_start` > strftime('%Y-%m-%dT%H:%M:%fZ', NEW.`start_time`, '-32 days')
    AND `range_end` > NEW.`start_time`;
END;
--> statement-breakpoint
CREATE TRIGGER `booking_month_stats_on_delete` AFTER DELETE ON `bookings`
BEGIN
  DELETE FROM `booking_month_stats` WHERE `trainer_id` = OLD.`trainer_id`
    AND `range_start` <= OLD.`start_time` AND `range_start` > strftime('%Y-%m-%dT%H:%M:%fZ', OLD.`start_time`, '-32 days')
    AND `range_end` > OLD.`start_time`;
END;
--> statement-breakpoint
CREATE TRIGGER `booking_month_stats_on_update` AFTER UPDATE OF `status`, `start_time`, `late_cancellation`, `trainer_id` ON `bookings`
WHEN OLD.`status` IS NOT NEW.`status` OR OLD.`start_time` IS NOT NEW.`start_time`
  OR OLD.`late_cancellation` IS NOT NEW.`late_cancellation` OR OLD.`trainer_id` IS NOT NEW.`trainer_id`
BEGIN
  DELETE FROM `booking_month_stats` WHERE `trainer_id` = OLD.`trainer_id`
    AND `range_start` <= OLD.`start_time` AND `range_start` > strftime('%Y-%m-%dT%H:%M:%fZ', OLD.`start_time`, '-32 days')
    AND `range_end` > OLD.`start_time`;
  DELETE FROM `booking_month_stats` WHERE `trainer_id` = NEW.`trainer_id`
    AND `range_start` <= NEW.`start_time` AND `range_start` > strftime('%Y-%m-%dT%H:%M:%fZ', NEW.`start_time`, '-32 days')
    AND `range_end` > NEW.`start_time`;
END;
--> statement-breakpoint
-- Months and weekday-hour figures are the trainer's local ones: a new zone makes every row wrong.
CREATE TRIGGER `booking_month_stats_on_timezone` AFTER UPDATE OF `timezone` ON `trainers`
WHEN OLD.`timezone` IS NOT NEW.`timezone`
BEGIN
  DELETE FROM `booking_month_stats` WHERE `trainer_id` = NEW.`id`;
END;
