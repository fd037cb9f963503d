-- AlterTable
ALTER TABLE "Node" ADD COLUMN     "identityExpiresAt" TIMESTAMP(3),
ADD COLUMN     "identityKeyHash" TEXT,
ADD COLUMN     "identityRevokedAt" TIMESTAMP(3),
ADD COLUMN     "identitySerial" TEXT;

-- CreateTable
CREATE TABLE "BootstrapToken" (
    "id" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "BootstrapToken_pkey" PRIMARY KEY ("id")
);
