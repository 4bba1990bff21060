ALTER TABLE `trainers` ADD `booking_count` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- trainers.booking_count: how many bookings the trainer has, of any status, kept in the same
-- transaction as every insert and delete of a booking, whoever writes it. The occupancy triggers
-- already update the trainer's row on both: they now set the count in the same statement, so a
-- booking insert still updates that row once. The bookings list's unfiltered page count reads it
-- (src/bookings/queries.ts) instead of counting every booking.
DROP TRIGGER `occupancy_version_booking_insert`;
--> statement-breakpoint
CREATE TRIGGER `occupancy_version_booking_insert` AFTER INSERT ON `bookings`
BEGIN
  UPDATE `trainers` SET `occupancy_version` = `occupancy_version` + 1, `booking_count` = `booking_count` + 1
  WHERE `id` = NEW.`trainer_id`;
END;
--> statement-breakpoint
DROP TRIGGER `occupancy_version_booking_delete`;
--> statement-breakpoint
CREATE TRIGGER `occupancy_version_booking_delete` AFTER DELETE ON `bookings`
BEGIN
  UPDATE `trainers` SET `occupancy_version` = `occupancy_version` + 1, `booking_count` = `booking_count` - 1
  WHERE `id` = OLD.`trainer_id`;
END;
--> statement-breakpoint
-- Nothing moves a booking to another trainer today; if anything ever does, both counts follow.
CREATE TRIGGER `booking_count_trainer_change` AFTER UPDATE OF `trainer_id` ON `bookings`
WHEN OLD.`trainer_id` IS NOT NEW.`trainer_id`
BEGIN
  UPDATE `trainers` SET `booking_count` = `booking_count` - 1 WHERE `id` = OLD.`trainer_id`;
  UPDATE `trainers` SET `booking_count` = `booking_count` + 1 WHERE `id` = NEW.`trainer_id`;
END;
--> statement-breakpoint
-- Last, once every trigger keeps it: an absolute value, right whatever was written before.
UPDATE `trainers` SET `booking_count` = (SELECT count(*) FROM `bookings` WHERE `trainer_id` = `trainers`.`id`);
