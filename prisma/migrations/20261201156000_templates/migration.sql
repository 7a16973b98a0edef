-- Disk templates with versions (issue 6). Kernel templates keep their paths, disk templates have none.
-- CreateTable
CREATE TABLE "TemplateVersion" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "templateId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "firmware" TEXT NOT NULL DEFAULT 'bios',
    "defaultVcpus" INTEGER NOT NULL DEFAULT 1,
    "defaultMemoryMiB" INTEGER NOT NULL DEFAULT 128,
    "note" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "TemplateVersion_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TemplateDisk" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "versionId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "pool" TEXT NOT NULL,
    "volume" TEXT NOT NULL,
    "bus" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    CONSTRAINT "TemplateDisk_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "TemplateVersion" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TemplateNic" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "versionId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "network" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    CONSTRAINT "TemplateNic_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "TemplateVersion" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Vm_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Vm_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Vm_templateVersionId_fkey" FOREIGN KEY ("templateVersionId") REFERENCES "TemplateVersion" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Vm_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Vm" ("createdAt", "diskPath", "firmware", "hostId", "id", "memoryMiB", "name", "nameKey", "ownerId", "state", "stateChangedAt", "stateReason", "templateId", "updatedAt", "uuid", "vcpus") SELECT "createdAt", "diskPath", "firmware", "hostId", "id", "memoryMiB", "name", "nameKey", "ownerId", "state", "stateChangedAt", "stateReason", "templateId", "updatedAt", "uuid", "vcpus" FROM "Vm";
DROP TABLE "Vm";
ALTER TABLE "new_Vm" RENAME TO "Vm";
CREATE UNIQUE INDEX "Vm_uuid_key" ON "Vm"("uuid");
CREATE UNIQUE INDEX "Vm_name_key" ON "Vm"("name");
CREATE INDEX "Vm_hostId_idx" ON "Vm"("hostId");
CREATE INDEX "Vm_ownerId_idx" ON "Vm"("ownerId");
CREATE INDEX "Vm_nameKey_id_idx" ON "Vm"("nameKey", "id");
CREATE INDEX "Vm_state_id_idx" ON "Vm"("state", "id");
CREATE INDEX "Vm_memoryMiB_id_idx" ON "Vm"("memoryMiB", "id");
CREATE INDEX "Vm_vcpus_id_idx" ON "Vm"("vcpus", "id");
CREATE INDEX "Vm_createdAt_id_idx" ON "Vm"("createdAt", "id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "TemplateVersion_templateId_version_key" ON "TemplateVersion"("templateId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateDisk_versionId_position_key" ON "TemplateDisk"("versionId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateNic_versionId_position_key" ON "TemplateNic"("versionId", "position");

