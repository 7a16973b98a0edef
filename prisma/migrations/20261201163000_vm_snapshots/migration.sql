-- CreateTable
CREATE TABLE "VmSnapshot" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "vmId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "displayName" TEXT,
    "description" TEXT NOT NULL DEFAULT '',
    "parent" TEXT,
    "withMemory" BOOLEAN NOT NULL,
    "state" TEXT NOT NULL,
    "current" BOOLEAN NOT NULL DEFAULT false,
    "scheduled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "VmSnapshot_vmId_fkey" FOREIGN KEY ("vmId") REFERENCES "Vm" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "SnapshotSchedule" (
    "vmId" TEXT NOT NULL PRIMARY KEY,
    "intervalMinutes" INTEGER NOT NULL,
    "withMemory" BOOLEAN NOT NULL DEFAULT false,
    "keepLast" INTEGER,
    "keepDays" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "nextRunAt" DATETIME NOT NULL,
    "lastRunAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SnapshotSchedule_vmId_fkey" FOREIGN KEY ("vmId") REFERENCES "Vm" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "VmSnapshot_vmId_name_key" ON "VmSnapshot"("vmId", "name");

-- CreateIndex
CREATE INDEX "SnapshotSchedule_nextRunAt_idx" ON "SnapshotSchedule"("nextRunAt");

