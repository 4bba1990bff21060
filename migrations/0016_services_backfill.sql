-- Every trainer gets one default service from their current settings, and every booking is tied
-- to it, so callers that never name a service see exactly what they saw before.
-- The trainer's buffer becomes the service's buffer after: bookings keep [start, end + buffer),
-- and two such spans overlap exactly when the old rule (a new booking widened by the buffer on
-- both sides against the others as they are) found an overlap.
INSERT INTO services (trainer_id, name, duration_minutes, buffer_before_minutes, buffer_after_minutes, is_default, position)
SELECT id, CAST(session_duration_minutes AS TEXT) || '-minute session', session_duration_minutes, 0, buffer_minutes, 1, 0
FROM trainers WHERE id NOT IN (SELECT trainer_id FROM services WHERE is_default = 1);
--> statement-breakpoint
UPDATE bookings SET service_id = (SELECT s.id FROM services s WHERE s.trainer_id = bookings.trainer_id AND s.is_default = 1)
WHERE service_id IS NULL;
--> statement-breakpoint
UPDATE bookings SET occupied_start = start_time,
  occupied_end = strftime('%Y-%m-%dT%H:%M:%fZ', end_time, '+' || (SELECT buffer_minutes FROM trainers t WHERE t.id = bookings.trainer_id) || ' minutes')
WHERE occupied_start = '';
--> statement-breakpoint
-- A trainer is never without a default service, whoever inserts the row (registration, seeds).
CREATE TRIGGER trainers_default_service AFTER INSERT ON trainers
BEGIN
  INSERT INTO services (trainer_id, name, duration_minutes, buffer_before_minutes, buffer_after_minutes, is_default, position)
  VALUES (NEW.id, CAST(NEW.session_duration_minutes AS TEXT) || '-minute session', NEW.session_duration_minutes, 0, NEW.buffer_minutes, 1, 0);
END;
--> statement-breakpoint
-- A booking written without its service or occupied span (seeds, imports) gets the default
-- service's and its buffers; the API always writes both itself.
CREATE TRIGGER bookings_default_occupancy AFTER INSERT ON bookings WHEN NEW.occupied_start = '' OR NEW.service_id IS NULL
BEGIN
  UPDATE bookings SET
    service_id = coalesce(NEW.service_id, (SELECT id FROM services WHERE trainer_id = NEW.trainer_id AND is_default = 1)),
    occupied_start = CASE WHEN NEW.occupied_start = '' THEN strftime('%Y-%m-%dT%H:%M:%fZ', NEW.start_time,
      '-' || (SELECT buffer_before_minutes FROM services s WHERE s.id = coalesce(NEW.service_id, (SELECT id FROM services WHERE trainer_id = NEW.trainer_id AND is_default = 1))) || ' minutes') ELSE NEW.occupied_start END,
    occupied_end = CASE WHEN NEW.occupied_start = '' THEN strftime('%Y-%m-%dT%H:%M:%fZ', NEW.end_time,
      '+' || (SELECT buffer_after_minutes FROM services s WHERE s.id = coalesce(NEW.service_id, (SELECT id FROM services WHERE trainer_id = NEW.trainer_id AND is_default = 1))) || ' minutes') ELSE NEW.occupied_end END
  WHERE id = NEW.id;
END;
