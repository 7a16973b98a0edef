-- VM hardware (issue 6): firmware, drives and NICs per VM. MACs are unique across the installation.
ALTER TABLE "Vm" ADD COLUMN "firmware" TEXT NOT NULL DEFAULT 'bios';

-- CreateTable
CREATE TABLE "VmDisk" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "vmId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "pool" TEXT,
    "volume" TEXT,
    "path" TEXT,
    "device" TEXT NOT NULL,
    "bus" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "sizeBytes" BIGINT,
    "readOnly" BOOLEAN NOT NULL DEFAULT false,
    "owned" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "VmDisk_vmId_fkey" FOREIGN KEY ("vmId") REFERENCES "Vm" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "VmNic" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "vmId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "network" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "mac" TEXT NOT NULL,
    CONSTRAINT "VmNic_vmId_fkey" FOREIGN KEY ("vmId") REFERENCES "Vm" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "VmDisk_vmId_position_key" ON "VmDisk"("vmId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "VmNic_mac_key" ON "VmNic"("mac");

-- CreateIndex
CREATE UNIQUE INDEX "VmNic_vmId_position_key" ON "VmNic"("vmId", "position");
