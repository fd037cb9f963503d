-- Reservation CPU in whole millicores (issue #9). Hand-written so no value is lost: the new
-- column is filled from the old one (x1000) before the old one goes.
ALTER TABLE "Reservation" ADD COLUMN "milliCores" INTEGER;
UPDATE "Reservation" SET "milliCores" = "cores" * 1000;

-- A fraction of a core used to be truncated to 0 by the integer column (0.5 -> 0: no limit, no
-- cost, no quota use). Every admitted reservation asked for more than 0, so a 0 is such a loss:
-- take the request again from the reservation's manifest, or else its image's default (the old
-- schema only allowed JSON numbers there).
UPDATE "Reservation" AS r SET "milliCores" = ROUND(1000 * COALESCE(
  CASE WHEN jsonb_typeof(r."spec" -> 'cores') = 'number' THEN (r."spec" ->> 'cores')::numeric END,
  (SELECT CASE WHEN jsonb_typeof(i."spec" -> 'resources' -> 'cores') = 'number' THEN (i."spec" -> 'resources' ->> 'cores')::numeric END
     FROM "Image" AS i WHERE i."name" = r."imageName"),
  0))
WHERE r."milliCores" = 0;

ALTER TABLE "Reservation" ALTER COLUMN "milliCores" SET NOT NULL;
ALTER TABLE "Reservation" DROP COLUMN "cores";
