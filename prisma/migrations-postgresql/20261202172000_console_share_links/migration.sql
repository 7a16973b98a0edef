-- CreateTable
CREATE TABLE "ConsoleShareLink" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "vmId" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ConsoleShareLink_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ConsoleShareLink_tokenHash_key" ON "ConsoleShareLink"("tokenHash");

-- CreateIndex
CREATE INDEX "ConsoleShareLink_vmId_idx" ON "ConsoleShareLink"("vmId");

-- AddForeignKey
ALTER TABLE "ConsoleShareLink" ADD CONSTRAINT "ConsoleShareLink_vmId_fkey" FOREIGN KEY ("vmId") REFERENCES "Vm"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConsoleShareLink" ADD CONSTRAINT "ConsoleShareLink_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
