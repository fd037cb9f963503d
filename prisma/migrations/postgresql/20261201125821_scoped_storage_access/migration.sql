-- AlterTable
ALTER TABLE "Node" ADD COLUMN     "storageKeyInstalled" TEXT,
ADD COLUMN     "storagePublicKey" TEXT;

-- AlterTable
ALTER TABLE "Reservation" ADD COLUMN     "storageGrantNodeId" TEXT;
