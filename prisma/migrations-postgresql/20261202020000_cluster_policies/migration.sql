-- Issue 8: per-cluster policies (CPU baseline, migration tuning, placement policy).
ALTER TABLE "Cluster" ADD COLUMN "cpuBaseline" TEXT NOT NULL DEFAULT '';
ALTER TABLE "Cluster" ADD COLUMN "migrationMaxDowntimeMs" INTEGER NOT NULL DEFAULT 300;
ALTER TABLE "Cluster" ADD COLUMN "migrationBandwidthMiBs" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Cluster" ADD COLUMN "migrationParallelPerHost" INTEGER NOT NULL DEFAULT 2;
ALTER TABLE "Cluster" ADD COLUMN "migrationAutoConverge" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "Cluster" ADD COLUMN "migrationPostCopy" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Cluster" ADD COLUMN "placementPolicy" TEXT NOT NULL DEFAULT 'balanced';
