-- Storage pools (issue 6): what Vireo applies to its hosts through libvirt.
-- CreateTable
CREATE TABLE "StoragePool" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL DEFAULT 'dir',
    "path" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "hostId" TEXT,
    "clusterId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StoragePool_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "StoragePool_name_key" ON "StoragePool"("name");

-- CreateIndex
CREATE UNIQUE INDEX "StoragePool_path_key" ON "StoragePool"("path");

-- CreateIndex
CREATE INDEX "StoragePool_hostId_idx" ON "StoragePool"("hostId");

-- CreateIndex
CREATE INDEX "StoragePool_clusterId_idx" ON "StoragePool"("clusterId");

-- AddForeignKey
ALTER TABLE "StoragePool" ADD CONSTRAINT "StoragePool_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StoragePool" ADD CONSTRAINT "StoragePool_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
