-- CreateTable
CREATE TABLE "ClusterState" (
    "id" INTEGER NOT NULL,
    "admissionSeq" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "ClusterState_pkey" PRIMARY KEY ("id")
);
