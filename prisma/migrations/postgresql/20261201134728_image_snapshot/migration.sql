-- AlterTable
ALTER TABLE "Reservation" ADD COLUMN     "imageGeneration" INTEGER,
ADD COLUMN     "imageSpec" JSONB;

-- Every existing reservation was admitted with its image as it is now at best: carry that over,
-- so rows that run keep running what they run (an image is never deleted under a live one).
UPDATE "Reservation" AS r SET "imageSpec" = i."spec", "imageGeneration" = i."generation"
  FROM "Image" AS i WHERE i."name" = r."imageName";
