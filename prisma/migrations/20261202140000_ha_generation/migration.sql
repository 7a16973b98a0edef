-- Issue 9: admission control compare-and-set (Cluster.haGeneration).
ALTER TABLE "Cluster" ADD COLUMN "haGeneration" INTEGER NOT NULL DEFAULT 0;
