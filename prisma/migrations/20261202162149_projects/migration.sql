-- CreateTable
CREATE TABLE "Project" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "quotaVms" INTEGER,
    "quotaVcpus" INTEGER,
    "quotaMemoryMiB" INTEGER,
    "quotaDiskGiB" INTEGER,
    "quotaSnapshots" INTEGER,
    "usedVms" INTEGER NOT NULL DEFAULT 0,
    "usedVcpus" INTEGER NOT NULL DEFAULT 0,
    "usedMemoryMiB" INTEGER NOT NULL DEFAULT 0,
    "usedDiskGiB" INTEGER NOT NULL DEFAULT 0,
    "usedSnapshots" INTEGER NOT NULL DEFAULT 0
);

-- CreateTable
CREATE TABLE "RoleBinding" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "scopeKind" TEXT NOT NULL,
    "scopeId" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RoleBinding_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ProjectPublication" (
    "projectId" TEXT NOT NULL,
    "objectKind" TEXT NOT NULL,
    "objectId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("projectId", "objectKind", "objectId"),
    CONSTRAINT "ProjectPublication_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
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
    CONSTRAINT "Vm_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Vm_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Vm_templateVersionId_fkey" FOREIGN KEY ("templateVersionId") REFERENCES "TemplateVersion" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Vm_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Vm_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Vm" ("autostart", "autostartDelayS", "autostartOrder", "createdAt", "description", "diskPath", "firmware", "haDependsOnId", "haEnabled", "haPriority", "hostId", "id", "memoryMiB", "name", "nameKey", "ownerId", "startedAt", "state", "stateChangedAt", "stateReason", "templateId", "templateVersionId", "updatedAt", "uuid", "vcpus") SELECT "autostart", "autostartDelayS", "autostartOrder", "createdAt", "description", "diskPath", "firmware", "haDependsOnId", "haEnabled", "haPriority", "hostId", "id", "memoryMiB", "name", "nameKey", "ownerId", "startedAt", "state", "stateChangedAt", "stateReason", "templateId", "templateVersionId", "updatedAt", "uuid", "vcpus" FROM "Vm";
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
CREATE UNIQUE INDEX "Project_name_key" ON "Project"("name");

-- CreateIndex
CREATE INDEX "RoleBinding_scopeKind_scopeId_idx" ON "RoleBinding"("scopeKind", "scopeId");

-- CreateIndex
CREATE UNIQUE INDEX "RoleBinding_userId_role_scopeKind_scopeId_key" ON "RoleBinding"("userId", "role", "scopeKind", "scopeId");

-- CreateIndex
CREATE INDEX "ProjectPublication_objectKind_objectId_idx" ON "ProjectPublication"("objectKind", "objectId");
