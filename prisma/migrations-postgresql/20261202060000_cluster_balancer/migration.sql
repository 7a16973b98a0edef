-- Issue 8: per-cluster load balancer settings and its last report.
ALTER TABLE "Cluster" ADD COLUMN "balancerMode" TEXT NOT NULL DEFAULT 'off';
ALTER TABLE "Cluster" ADD COLUMN "balancerCooldownMinutes" INTEGER NOT NULL DEFAULT 30;
ALTER TABLE "Cluster" ADD COLUMN "balancerMaxMoves" INTEGER NOT NULL DEFAULT 3;
ALTER TABLE "Cluster" ADD COLUMN "balancerThreshold" DOUBLE PRECISION NOT NULL DEFAULT 5;
ALTER TABLE "Cluster" ADD COLUMN "balancerCheckedAt" TIMESTAMP(3);
ALTER TABLE "Cluster" ADD COLUMN "balancerActedAt" TIMESTAMP(3);
ALTER TABLE "Cluster" ADD COLUMN "balancerReport" TEXT;
