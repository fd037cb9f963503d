-- CreateTable
CREATE TABLE "NodeMetric" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "nodeId" TEXT NOT NULL,
    "resolution" INTEGER NOT NULL,
    "at" DATETIME NOT NULL,
    "samples" INTEGER NOT NULL DEFAULT 1,
    "load1" REAL NOT NULL,
    "cpuPercent" REAL NOT NULL DEFAULT 0,
    "memoryTotalMiB" INTEGER NOT NULL,
    "memoryUsedMiB" INTEGER NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "username" TEXT NOT NULL,
    "email" TEXT,
    "passwordHash" TEXT,
    "role" TEXT NOT NULL DEFAULT 'customer',
    "quota" JSONB NOT NULL DEFAULT '{}',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_User" ("createdAt", "email", "id", "passwordHash", "role", "username") SELECT "createdAt", "email", "id", "passwordHash", "role", "username" FROM "User";
DROP TABLE "User";
ALTER TABLE "new_User" RENAME TO "User";
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "NodeMetric_resolution_at_idx" ON "NodeMetric"("resolution", "at");

-- CreateIndex
CREATE UNIQUE INDEX "NodeMetric_nodeId_resolution_at_key" ON "NodeMetric"("nodeId", "resolution", "at");
