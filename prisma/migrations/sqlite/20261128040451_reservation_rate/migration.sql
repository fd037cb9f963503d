-- AlterTable
ALTER TABLE "Reservation" ADD COLUMN "rateCentsPerCoreHour" INTEGER;
