-- AlterTable
ALTER TABLE "Template" ADD COLUMN     "restricted" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Vm" ADD COLUMN     "reservedDiskGiB" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "VmRequest" (
    "id" TEXT NOT NULL,
    "requesterId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "input" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "approverId" TEXT,
    "note" TEXT NOT NULL DEFAULT '',
    "vmId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),

    CONSTRAINT "VmRequest_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "VmRequest_state_projectId_idx" ON "VmRequest"("state", "projectId");

-- CreateIndex
CREATE INDEX "VmRequest_requesterId_idx" ON "VmRequest"("requesterId");

-- AddForeignKey
ALTER TABLE "VmRequest" ADD CONSTRAINT "VmRequest_requesterId_fkey" FOREIGN KEY ("requesterId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VmRequest" ADD CONSTRAINT "VmRequest_approverId_fkey" FOREIGN KEY ("approverId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VmRequest" ADD CONSTRAINT "VmRequest_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
