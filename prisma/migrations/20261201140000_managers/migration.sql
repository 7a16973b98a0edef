-- AlterTable
ALTER TABLE "Task" ADD COLUMN "managerId" TEXT;

-- CreateTable
CREATE TABLE "Manager" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "internalUrl" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
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
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("hostId", "uuid"),
    CONSTRAINT "HostDomain_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "VmLock" (
    "vmId" TEXT NOT NULL PRIMARY KEY,
    "operation" TEXT NOT NULL,
    "managerId" TEXT NOT NULL,
    "acquiredAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "VmLock_managerId_fkey" FOREIGN KEY ("managerId") REFERENCES "Manager" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ConsoleTicket" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "vmId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME
);

-- AlterTable
-- Written by hand instead of Prisma's table rebuild: rebuilding "Host" drops it, and a DROP
-- TABLE with foreign keys enforced (a migration runs in a transaction, where PRAGMA
-- foreign_keys cannot be switched off) would run ON DELETE SET NULL on every VM's hostId.
ALTER TABLE "Host" ADD COLUMN "managerId" TEXT REFERENCES "Manager" ("id") ON DELETE SET NULL ON UPDATE CASCADE;
CREATE INDEX "Host_managerId_idx" ON "Host"("managerId");

-- CreateIndex
CREATE INDEX "HostDomain_uuid_idx" ON "HostDomain"("uuid");

-- CreateIndex
CREATE INDEX "HostDomain_name_idx" ON "HostDomain"("name");

-- CreateIndex
CREATE INDEX "ConsoleTicket_expiresAt_idx" ON "ConsoleTicket"("expiresAt");

-- CreateIndex
CREATE INDEX "Task_managerId_idx" ON "Task"("managerId");
