-- Stats history of hosts and VMs at two resolutions (10 s for a day, 5 min for 30 days).
CREATE TABLE "StatSample" (
    "objectKind" TEXT NOT NULL,
    "objectId" TEXT NOT NULL,
    "resolution" INTEGER NOT NULL,
    "bucketStart" DATETIME NOT NULL,
    "samples" INTEGER NOT NULL,
    "cpuPercent" REAL NOT NULL,
    "memoryUsedBytes" BIGINT,
    "diskReadBps" REAL,
    "diskWriteBps" REAL,
    "netRxBps" REAL,
    "netTxBps" REAL,

    PRIMARY KEY ("objectKind", "objectId", "resolution", "bucketStart")
);

-- Pruning deletes by (resolution, bucketStart < cutoff).
CREATE INDEX "StatSample_resolution_bucketStart_idx" ON "StatSample"("resolution", "bucketStart");
