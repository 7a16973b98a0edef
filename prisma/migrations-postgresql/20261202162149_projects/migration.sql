-- AlterTable
ALTER TABLE "Vm" ADD COLUMN     "projectId" TEXT;

-- CreateTable
CREATE TABLE "Project" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "quotaVms" INTEGER,
    "quotaVcpus" INTEGER,
    "quotaMemoryMiB" INTEGER,
    "quotaDiskGiB" INTEGER,
    "quotaSnapshots" INTEGER,
    "usedVms" INTEGER NOT NULL DEFAULT 0,
    "usedVcpus" INTEGER NOT NULL DEFAULT 0,
    "usedMemoryMiB" INTEGER NOT NULL DEFAULT 0,
    "usedDiskGiB" INTEGER NOT NULL DEFAULT 0,
    "usedSnapshots" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "Project_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RoleBinding" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "scopeKind" TEXT NOT NULL,
    "scopeId" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RoleBinding_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProjectPublication" (
    "projectId" TEXT NOT NULL,
    "objectKind" TEXT NOT NULL,
    "objectId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProjectPublication_pkey" PRIMARY KEY ("projectId","objectKind","objectId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Project_name_key" ON "Project"("name");

-- CreateIndex
CREATE INDEX "RoleBinding_scopeKind_scopeId_idx" ON "RoleBinding"("scopeKind", "scopeId");

-- CreateIndex
CREATE UNIQUE INDEX "RoleBinding_userId_role_scopeKind_scopeId_key" ON "RoleBinding"("userId", "role", "scopeKind", "scopeId");

-- CreateIndex
CREATE INDEX "ProjectPublication_objectKind_objectId_idx" ON "ProjectPublication"("objectKind", "objectId");

-- CreateIndex
CREATE INDEX "Vm_projectId_nameKey_id_idx" ON "Vm"("projectId", "nameKey", "id");

-- AddForeignKey
ALTER TABLE "Vm" ADD CONSTRAINT "Vm_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoleBinding" ADD CONSTRAINT "RoleBinding_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProjectPublication" ADD CONSTRAINT "ProjectPublication_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
