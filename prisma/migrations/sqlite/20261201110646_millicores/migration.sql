-- Reservation CPU in whole millicores (issue #9): a table rebuild that carries every value over.
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Reservation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "activeName" TEXT,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "spec" JSONB NOT NULL,
    "generation" INTEGER NOT NULL DEFAULT 1,
    "imageName" TEXT NOT NULL,
    "milliCores" INTEGER NOT NULL,
    "memoryMiB" INTEGER NOT NULL,
    "rateCentsPerCoreHour" INTEGER,
    "startAt" DATETIME NOT NULL,
    "endAt" DATETIME NOT NULL,
    "nodeId" TEXT,
    "phase" TEXT NOT NULL DEFAULT 'Pending',
    "status" JSONB NOT NULL DEFAULT '{}',
    "startedAt" DATETIME,
    "endedAt" DATETIME,
    "deletedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Reservation_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Reservation_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
-- Carried over x1000. SQLite may hold a fraction the integer column was given (0.5) as REAL:
-- ROUND keeps it exact.
INSERT INTO "new_Reservation" ("activeName", "createdAt", "deletedAt", "endAt", "endedAt", "generation", "id", "imageName", "labels", "memoryMiB", "milliCores", "name", "nodeId", "ownerId", "phase", "rateCentsPerCoreHour", "spec", "startAt", "startedAt", "status", "updatedAt") SELECT "activeName", "createdAt", "deletedAt", "endAt", "endedAt", "generation", "id", "imageName", "labels", "memoryMiB", CAST(ROUND("cores" * 1000) AS INTEGER), "name", "nodeId", "ownerId", "phase", "rateCentsPerCoreHour", "spec", "startAt", "startedAt", "status", "updatedAt" FROM "Reservation";
-- A fraction of a core truncated to 0 (no limit, no cost, no quota use): every admitted
-- reservation asked for more than 0, so take the request again from its manifest, or else its
-- image's default (the old schema only allowed JSON numbers there).
UPDATE "new_Reservation" SET "milliCores" = CAST(ROUND(1000 * COALESCE(
  CASE WHEN json_type("spec", '$.cores') IN ('integer', 'real') THEN json_extract("spec", '$.cores') END,
  (SELECT CASE WHEN json_type(i."spec", '$.resources.cores') IN ('integer', 'real') THEN json_extract(i."spec", '$.resources.cores') END
     FROM "Image" AS i WHERE i."name" = "new_Reservation"."imageName"),
  0)) AS INTEGER)
WHERE "milliCores" = 0;
DROP TABLE "Reservation";
ALTER TABLE "new_Reservation" RENAME TO "Reservation";
CREATE INDEX "Reservation_nodeId_startAt_endAt_idx" ON "Reservation"("nodeId", "startAt", "endAt");
CREATE INDEX "Reservation_phase_idx" ON "Reservation"("phase");
CREATE UNIQUE INDEX "Reservation_ownerId_activeName_key" ON "Reservation"("ownerId", "activeName");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
