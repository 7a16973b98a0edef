-- Host maintenance mode (issue 8).
-- AlterTable
ALTER TABLE "Host" ADD COLUMN "maintenance" TEXT NOT NULL DEFAULT 'none',
ADD COLUMN "maintenanceBy" TEXT,
ADD COLUMN "maintenanceAt" TIMESTAMP(3),
ADD COLUMN "maintenanceReport" TEXT;
