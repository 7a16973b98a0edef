-- AlterTable
ALTER TABLE "Project" ADD COLUMN "leaseDefaultDays" INTEGER;
ALTER TABLE "Project" ADD COLUMN "leaseGraceDays" INTEGER;
ALTER TABLE "Project" ADD COLUMN "leaseMaxDays" INTEGER;
ALTER TABLE "Project" ADD COLUMN "leaseReminderDays" INTEGER;

-- AlterTable
ALTER TABLE "Vm" ADD COLUMN "leaseExpiresAt" DATETIME;
ALTER TABLE "Vm" ADD COLUMN "leaseRemindedAt" DATETIME;
ALTER TABLE "Vm" ADD COLUMN "leaseStoppedAt" DATETIME;

-- CreateTable
CREATE TABLE "UsageBucket" (
    "projectId" TEXT NOT NULL,
    "hourStart" DATETIME NOT NULL,
    "vcpuSeconds" REAL NOT NULL DEFAULT 0,
    "memoryMiBSeconds" REAL NOT NULL DEFAULT 0,
    "diskGiBSeconds" REAL NOT NULL DEFAULT 0,

    PRIMARY KEY ("projectId", "hourStart")
);

-- CreateTable
CREATE TABLE "MeterCursor" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "meteredUntil" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "ShowbackPrice" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "currency" TEXT NOT NULL DEFAULT 'EUR',
    "vcpuHour" REAL NOT NULL DEFAULT 0,
    "memoryGiBHour" REAL NOT NULL DEFAULT 0,
    "diskGiBHour" REAL NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "UsageBucket_hourStart_idx" ON "UsageBucket"("hourStart");

-- CreateIndex
CREATE INDEX "Vm_leaseExpiresAt_id_idx" ON "Vm"("leaseExpiresAt", "id");
