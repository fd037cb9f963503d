-- AlterTable
ALTER TABLE "Node" ADD COLUMN "identityExpiresAt" DATETIME;
ALTER TABLE "Node" ADD COLUMN "identityKeyHash" TEXT;
ALTER TABLE "Node" ADD COLUMN "identityRevokedAt" DATETIME;
ALTER TABLE "Node" ADD COLUMN "identitySerial" TEXT;

-- CreateTable
CREATE TABLE "BootstrapToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "secretHash" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "expiresAt" DATETIME NOT NULL,
    "revokedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME
);
