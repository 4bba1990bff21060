-- Custom SQL migration (drizzle-kit generate --custom): drizzle does not model triggers.
-- trainers.occupancy_version moves with every change of what occupies a trainer's time, in the
-- same transaction as the change, whoever writes it (the schedule object, a route's batch, the
-- cron, raw SQL): an insert or delete of a booking, class session or calendar busy row, and an
-- update of the columns the availability reads from them. The public availability's cache key
-- holds it beside schedule_version, so a change makes the next read compute afresh.
CREATE TRIGGER `occupancy_version_booking_insert` AFTER INSERT ON `bookings`
BEGIN
  UPDATE `trainers` SET `occupancy_version` = `occupancy_version` + 1 WHERE `id` = NEW.`trainer_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `occupancy_version_booking_delete` AFTER DELETE ON `bookings`
BEGIN
  UPDATE `trainers` SET `occupancy_version` = `occupancy_version` + 1 WHERE `id` = OLD.`trainer_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `occupancy_version_booking_update`
AFTER UPDATE OF `status`, `start_time`, `end_time`, `occupied_start`, `occupied_end`, `class_session_id`, `trainer_id` ON `bookings`
WHEN OLD.`status` IS NOT NEW.`status` OR OLD.`start_time` IS NOT NEW.`start_time` OR OLD.`end_time` IS NOT NEW.`end_time`
  OR OLD.`occupied_start` IS NOT NEW.`occupied_start` OR OLD.`occupied_end` IS NOT NEW.`occupied_end`
  OR OLD.`class_session_id` IS NOT NEW.`class_session_id` OR OLD.`trainer_id` IS NOT NEW.`trainer_id`
BEGIN
  UPDATE `trainers` SET `occupancy_version` = `occupancy_version` + 1 WHERE `id` IN (OLD.`trainer_id`, NEW.`trainer_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `occupancy_version_class_insert` AFTER INSERT ON `class_sessions`
BEGIN
  UPDATE `trainers` SET `occupancy_version` = `occupancy_version` + 1 WHERE `id` = NEW.`trainer_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `occupancy_version_class_delete` AFTER DELETE ON `class_sessions`
BEGIN
  UPDATE `trainers` SET `occupancy_version` = `occupancy_version` + 1 WHERE `id` = OLD.`trainer_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `occupancy_version_class_update`
AFTER UPDATE OF `status`, `start_time`, `end_time`, `occupied_start`, `occupied_end`, `capacity`, `service_id`, `trainer_id` ON `class_sessions`
WHEN OLD.`status` IS NOT NEW.`status` OR OLD.`start_time` IS NOT NEW.`start_time` OR OLD.`end_time` IS NOT NEW.`end_time`
  OR OLD.`occupied_start` IS NOT NEW.`occupied_start` OR OLD.`occupied_end` IS NOT NEW.`occupied_end`
  OR OLD.`capacity` IS NOT NEW.`capacity` OR OLD.`service_id` IS NOT NEW.`service_id` OR OLD.`trainer_id` IS NOT NEW.`trainer_id`
BEGIN
  UPDATE `trainers` SET `occupancy_version` = `occupancy_version` + 1 WHERE `id` IN (OLD.`trainer_id`, NEW.`trainer_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `occupancy_version_busy_insert` AFTER INSERT ON `calendar_busy`
BEGIN
  UPDATE `trainers` SET `occupancy_version` = `occupancy_version` + 1 WHERE `id` = NEW.`trainer_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `occupancy_version_busy_delete` AFTER DELETE ON `calendar_busy`
BEGIN
  UPDATE `trainers` SET `occupancy_version` = `occupancy_version` + 1 WHERE `id` = OLD.`trainer_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `occupancy_version_busy_update` AFTER UPDATE OF `start_time`, `end_time`, `trainer_id` ON `calendar_busy`
WHEN OLD.`start_time` IS NOT NEW.`start_time` OR OLD.`end_time` IS NOT NEW.`end_time` OR OLD.`trainer_id` IS NOT NEW.`trainer_id`
BEGIN
  UPDATE `trainers` SET `occupancy_version` = `occupancy_version` + 1 WHERE `id` IN (OLD.`trainer_id`, NEW.`trainer_id`);
END;
