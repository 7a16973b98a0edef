-- CreateTable
CREATE TABLE "VmSnapshot" (
    "id" TEXT NOT NULL,
    "vmId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "displayName" TEXT,
    "description" TEXT NOT NULL DEFAULT '',
    "parent" TEXT,
    "withMemory" BOOLEAN NOT NULL,
    "state" TEXT NOT NULL,
    "current" BOOLEAN NOT NULL DEFAULT false,
    "scheduled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "VmSnapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SnapshotSchedule" (
    "vmId" TEXT NOT NULL,
    "intervalMinutes" INTEGER NOT NULL,
    "withMemory" BOOLEAN NOT NULL DEFAULT false,
    "keepLast" INTEGER,
    "keepDays" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "nextRunAt" TIMESTAMP(3) NOT NULL,
    "lastRunAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SnapshotSchedule_pkey" PRIMARY KEY ("vmId")
);

-- CreateIndex
CREATE UNIQUE INDEX "VmSnapshot_vmId_name_key" ON "VmSnapshot"("vmId", "name");

-- CreateIndex
CREATE INDEX "SnapshotSchedule_nextRunAt_idx" ON "SnapshotSchedule"("nextRunAt");

-- AddForeignKey
ALTER TABLE "VmSnapshot" ADD CONSTRAINT "VmSnapshot_vmId_fkey" FOREIGN KEY ("vmId") REFERENCES "Vm"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SnapshotSchedule" ADD CONSTRAINT "SnapshotSchedule_vmId_fkey" FOREIGN KEY ("vmId") REFERENCES "Vm"("id") ON DELETE CASCADE ON UPDATE CASCADE;

