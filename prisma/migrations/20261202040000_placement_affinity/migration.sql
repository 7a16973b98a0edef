-- Placement decisions kept with vm.create tasks, and affinity groups (issue 8).
-- AlterTable
ALTER TABLE "Task" ADD COLUMN "placement" TEXT;

-- CreateTable
CREATE TABLE "AffinityGroup" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "hard" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "AffinityGroupVm" (
    "groupId" TEXT NOT NULL,
    "vmId" TEXT NOT NULL,

    PRIMARY KEY ("groupId", "vmId"),
    CONSTRAINT "AffinityGroupVm_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "AffinityGroup" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "AffinityGroupVm_vmId_fkey" FOREIGN KEY ("vmId") REFERENCES "Vm" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "AffinityGroup_name_key" ON "AffinityGroup"("name");

-- CreateIndex
CREATE INDEX "AffinityGroupVm_vmId_idx" ON "AffinityGroupVm"("vmId");

-- CreateTable
CREATE TABLE "AffinityGroupHost" (
    "groupId" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,

    PRIMARY KEY ("groupId", "hostId"),
    CONSTRAINT "AffinityGroupHost_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "AffinityGroup" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "AffinityGroupHost_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "AffinityGroupHost_hostId_idx" ON "AffinityGroupHost"("hostId");
