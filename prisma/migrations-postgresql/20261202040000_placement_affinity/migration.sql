-- Placement decisions kept with vm.create tasks, and affinity groups (issue 8).
-- AlterTable
ALTER TABLE "Task" ADD COLUMN "placement" TEXT;

-- CreateTable
CREATE TABLE "AffinityGroup" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "hard" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AffinityGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AffinityGroupVm" (
    "groupId" TEXT NOT NULL,
    "vmId" TEXT NOT NULL,

    CONSTRAINT "AffinityGroupVm_pkey" PRIMARY KEY ("groupId","vmId")
);

-- CreateIndex
CREATE UNIQUE INDEX "AffinityGroup_name_key" ON "AffinityGroup"("name");

-- CreateIndex
CREATE INDEX "AffinityGroupVm_vmId_idx" ON "AffinityGroupVm"("vmId");

-- AddForeignKey
ALTER TABLE "AffinityGroupVm" ADD CONSTRAINT "AffinityGroupVm_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "AffinityGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AffinityGroupVm" ADD CONSTRAINT "AffinityGroupVm_vmId_fkey" FOREIGN KEY ("vmId") REFERENCES "Vm"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "AffinityGroupHost" (
    "groupId" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,

    CONSTRAINT "AffinityGroupHost_pkey" PRIMARY KEY ("groupId","hostId")
);

-- CreateIndex
CREATE INDEX "AffinityGroupHost_hostId_idx" ON "AffinityGroupHost"("hostId");

-- AddForeignKey
ALTER TABLE "AffinityGroupHost" ADD CONSTRAINT "AffinityGroupHost_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "AffinityGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AffinityGroupHost" ADD CONSTRAINT "AffinityGroupHost_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;
