-- The CPU a host offers guests, for CPU compatibility (issue 8).
-- AlterTable
ALTER TABLE "Host" ADD COLUMN "cpuInfo" TEXT NOT NULL DEFAULT '';
