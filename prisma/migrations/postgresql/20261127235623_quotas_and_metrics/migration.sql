-- AlterTable
ALTER TABLE "User" ADD COLUMN     "quota" JSONB NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "NodeMetric" (
    "id" SERIAL NOT NULL,
    "nodeId" TEXT NOT NULL,
    "resolution" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "samples" INTEGER NOT NULL DEFAULT 1,
    "load1" DOUBLE PRECISION NOT NULL,
    "cpuPercent" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "memoryTotalMiB" INTEGER NOT NULL,
    "memoryUsedMiB" INTEGER NOT NULL,

    CONSTRAINT "NodeMetric_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "NodeMetric_resolution_at_idx" ON "NodeMetric"("resolution", "at");

-- CreateIndex
CREATE UNIQUE INDEX "NodeMetric_nodeId_resolution_at_key" ON "NodeMetric"("nodeId", "resolution", "at");
