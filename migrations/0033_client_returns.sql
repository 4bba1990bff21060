-- A client made inactive (a former client, kept instead of deleted) who books again, from any
-- channel (the trainer, a series, a class place, the booking page, a client account), or is sold
-- a pack, is a client again: active, shown in the trainer's active list, paying with their packs.
CREATE TRIGGER `client_returns_on_booking` AFTER INSERT ON `bookings`
WHEN NEW.`status` IN ('pending', 'confirmed', 'waitlisted')
BEGIN
  UPDATE `clients` SET `is_active` = 1, `updated_at` = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE `id` = NEW.`client_id` AND `is_active` = 0;
END;
--> statement-breakpoint
CREATE TRIGGER `client_returns_on_pack` AFTER INSERT ON `client_packages`
BEGIN
  UPDATE `clients` SET `is_active` = 1, `updated_at` = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE `id` = NEW.`client_id` AND `is_active` = 0;
END;
