-- CreateTable
CREATE TABLE "ImageUpload" (
    "id" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "pool" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "sizeBytes" BIGINT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'open',
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "ownerId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ImageUpload_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ImageUpload_createdAt_idx" ON "ImageUpload"("createdAt");
