-- CreateTable
CREATE TABLE "VmRequest" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "requesterId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "input" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "approverId" TEXT,
    "note" TEXT NOT NULL DEFAULT '',
    "vmId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" DATETIME,
    CONSTRAINT "VmRequest_requesterId_fkey" FOREIGN KEY ("requesterId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "VmRequest_approverId_fkey" FOREIGN KEY ("approverId") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "VmRequest_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Template" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "kernelPath" TEXT,
    "initrdPath" TEXT,
    "diskPath" TEXT,
    "cmdline" TEXT NOT NULL DEFAULT '',
    "defaultVcpus" INTEGER NOT NULL DEFAULT 1,
    "defaultMemoryMiB" INTEGER NOT NULL DEFAULT 128,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "restricted" BOOLEAN NOT NULL DEFAULT false
);
INSERT INTO "new_Template" ("cmdline", "createdAt", "defaultMemoryMiB", "defaultVcpus", "description", "diskPath", "id", "initrdPath", "kernelPath", "name") SELECT "cmdline", "createdAt", "defaultMemoryMiB", "defaultVcpus", "description", "diskPath", "id", "initrdPath", "kernelPath", "name" FROM "Template";
DROP TABLE "Template";
ALTER TABLE "new_Template" RENAME TO "Template";
CREATE UNIQUE INDEX "Template_name_key" ON "Template"("name");
CREATE TABLE "new_Vm" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "uuid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameKey" TEXT NOT NULL DEFAULT '',
    "hostId" TEXT,
    "templateId" TEXT NOT NULL,
    "templateVersionId" TEXT,
    "ownerId" TEXT NOT NULL,
    "vcpus" INTEGER NOT NULL,
    "memoryMiB" INTEGER NOT NULL,
    "diskPath" TEXT,
    "firmware" TEXT NOT NULL DEFAULT 'bios',
    "state" TEXT NOT NULL DEFAULT 'creating',
    "stateReason" TEXT,
    "stateChangedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "autostart" BOOLEAN NOT NULL DEFAULT false,
    "autostartOrder" INTEGER NOT NULL DEFAULT 0,
    "autostartDelayS" INTEGER NOT NULL DEFAULT 0,
    "description" TEXT NOT NULL DEFAULT '',
    "haEnabled" BOOLEAN NOT NULL DEFAULT false,
    "haPriority" INTEGER NOT NULL DEFAULT 0,
    "haDependsOnId" TEXT,
    "projectId" TEXT,
    "reservedDiskGiB" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "Vm_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Vm_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Vm_templateVersionId_fkey" FOREIGN KEY ("templateVersionId") REFERENCES "TemplateVersion" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Vm_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Vm_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Vm" ("autostart", "autostartDelayS", "autostartOrder", "createdAt", "description", "diskPath", "firmware", "haDependsOnId", "haEnabled", "haPriority", "hostId", "id", "memoryMiB", "name", "nameKey", "ownerId", "projectId", "startedAt", "state", "stateChangedAt", "stateReason", "templateId", "templateVersionId", "updatedAt", "uuid", "vcpus") SELECT "autostart", "autostartDelayS", "autostartOrder", "createdAt", "description", "diskPath", "firmware", "haDependsOnId", "haEnabled", "haPriority", "hostId", "id", "memoryMiB", "name", "nameKey", "ownerId", "projectId", "startedAt", "state", "stateChangedAt", "stateReason", "templateId", "templateVersionId", "updatedAt", "uuid", "vcpus" FROM "Vm";
DROP TABLE "Vm";
ALTER TABLE "new_Vm" RENAME TO "Vm";
CREATE UNIQUE INDEX "Vm_uuid_key" ON "Vm"("uuid");
CREATE UNIQUE INDEX "Vm_name_key" ON "Vm"("name");
CREATE INDEX "Vm_hostId_idx" ON "Vm"("hostId");
CREATE INDEX "Vm_ownerId_idx" ON "Vm"("ownerId");
CREATE INDEX "Vm_projectId_nameKey_id_idx" ON "Vm"("projectId", "nameKey", "id");
CREATE INDEX "Vm_nameKey_id_idx" ON "Vm"("nameKey", "id");
CREATE INDEX "Vm_state_id_idx" ON "Vm"("state", "id");
CREATE INDEX "Vm_memoryMiB_id_idx" ON "Vm"("memoryMiB", "id");
CREATE INDEX "Vm_vcpus_id_idx" ON "Vm"("vcpus", "id");
CREATE INDEX "Vm_createdAt_id_idx" ON "Vm"("createdAt", "id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "VmRequest_state_projectId_idx" ON "VmRequest"("state", "projectId");

-- CreateIndex
CREATE INDEX "VmRequest_requesterId_idx" ON "VmRequest"("requesterId");
