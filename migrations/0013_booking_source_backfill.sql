-- Bookings made through the public booking page before `source` existed are the ones with a manage link.
UPDATE `bookings` SET `source` = 'public' WHERE EXISTS (SELECT 1 FROM `booking_links` l WHERE l.booking_id = `bookings`.id);
