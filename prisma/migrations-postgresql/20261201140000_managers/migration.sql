-- AlterTable
ALTER TABLE "Task" ADD COLUMN "managerId" TEXT;

-- CreateTable
CREATE TABLE "Manager" (
    "id" TEXT NOT NULL,
    "internalUrl" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Manager_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HostDomain" (
    "hostId" TEXT NOT NULL,
    "uuid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "vcpus" INTEGER NOT NULL,
    "memoryMiB" INTEGER NOT NULL,
    "maxMemoryMiB" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "HostDomain_pkey" PRIMARY KEY ("hostId","uuid")
);

-- CreateTable
CREATE TABLE "VmLock" (
    "vmId" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "managerId" TEXT NOT NULL,
    "acquiredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VmLock_pkey" PRIMARY KEY ("vmId")
);

-- CreateTable
CREATE TABLE "ConsoleTicket" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "vmId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "ConsoleTicket_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "Host" ADD COLUMN "managerId" TEXT;

-- CreateIndex
CREATE INDEX "Host_managerId_idx" ON "Host"("managerId");

-- CreateIndex
CREATE INDEX "HostDomain_uuid_idx" ON "HostDomain"("uuid");

-- CreateIndex
CREATE INDEX "HostDomain_name_idx" ON "HostDomain"("name");

-- CreateIndex
CREATE INDEX "ConsoleTicket_expiresAt_idx" ON "ConsoleTicket"("expiresAt");

-- CreateIndex
CREATE INDEX "Task_managerId_idx" ON "Task"("managerId");

-- AddForeignKey
ALTER TABLE "Host" ADD CONSTRAINT "Host_managerId_fkey" FOREIGN KEY ("managerId") REFERENCES "Manager"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HostDomain" ADD CONSTRAINT "HostDomain_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VmLock" ADD CONSTRAINT "VmLock_managerId_fkey" FOREIGN KEY ("managerId") REFERENCES "Manager"("id") ON DELETE CASCADE ON UPDATE CASCADE;
