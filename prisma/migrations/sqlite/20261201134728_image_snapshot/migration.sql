-- AlterTable
ALTER TABLE "Reservation" ADD COLUMN "imageGeneration" INTEGER;
ALTER TABLE "Reservation" ADD COLUMN "imageSpec" JSONB;

-- Every existing reservation was admitted with its image as it is now at best: carry that over,
-- so rows that run keep running what they run (an image is never deleted under a live one).
UPDATE "Reservation" SET
  "imageSpec" = (SELECT i."spec" FROM "Image" AS i WHERE i."name" = "Reservation"."imageName"),
  "imageGeneration" = (SELECT i."generation" FROM "Image" AS i WHERE i."name" = "Reservation"."imageName");
