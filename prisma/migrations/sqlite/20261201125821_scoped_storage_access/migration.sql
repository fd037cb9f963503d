-- AlterTable
ALTER TABLE "Node" ADD COLUMN "storageKeyInstalled" TEXT;
ALTER TABLE "Node" ADD COLUMN "storagePublicKey" TEXT;

-- AlterTable
ALTER TABLE "Reservation" ADD COLUMN "storageGrantNodeId" TEXT;
