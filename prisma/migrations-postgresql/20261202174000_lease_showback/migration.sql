-- AlterTable
ALTER TABLE "Project" ADD COLUMN     "leaseDefaultDays" INTEGER,
ADD COLUMN     "leaseGraceDays" INTEGER,
ADD COLUMN     "leaseMaxDays" INTEGER,
ADD COLUMN     "leaseReminderDays" INTEGER;

-- AlterTable
ALTER TABLE "Vm" ADD COLUMN     "leaseExpiresAt" TIMESTAMP(3),
ADD COLUMN     "leaseRemindedAt" TIMESTAMP(3),
ADD COLUMN     "leaseStoppedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "UsageBucket" (
    "projectId" TEXT NOT NULL,
    "hourStart" TIMESTAMP(3) NOT NULL,
    "vcpuSeconds" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "memoryMiBSeconds" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "diskGiBSeconds" DOUBLE PRECISION NOT NULL DEFAULT 0,

    CONSTRAINT "UsageBucket_pkey" PRIMARY KEY ("projectId","hourStart")
);

-- CreateTable
CREATE TABLE "MeterCursor" (
    "id" TEXT NOT NULL,
    "meteredUntil" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MeterCursor_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ShowbackPrice" (
    "id" TEXT NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'EUR',
    "vcpuHour" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "memoryGiBHour" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "diskGiBHour" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ShowbackPrice_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "UsageBucket_hourStart_idx" ON "UsageBucket"("hourStart");

-- CreateIndex
CREATE INDEX "Vm_leaseExpiresAt_id_idx" ON "Vm"("leaseExpiresAt", "id");
