-- Host maintenance mode (issue 8).
-- AlterTable
ALTER TABLE "Host" ADD COLUMN "maintenance" TEXT NOT NULL DEFAULT 'none';
ALTER TABLE "Host" ADD COLUMN "maintenanceBy" TEXT;
ALTER TABLE "Host" ADD COLUMN "maintenanceAt" DATETIME;
ALTER TABLE "Host" ADD COLUMN "maintenanceReport" TEXT;
