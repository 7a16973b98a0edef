-- Disk templates with versions (issue 6). Kernel templates keep their paths, disk templates have none.
ALTER TABLE "Template" ALTER COLUMN "kernelPath" DROP NOT NULL,
ALTER COLUMN "initrdPath" DROP NOT NULL,
ALTER COLUMN "diskPath" DROP NOT NULL;

-- AlterTable
ALTER TABLE "Vm" ADD COLUMN "templateVersionId" TEXT;

-- CreateTable
CREATE TABLE "TemplateVersion" (
    "id" TEXT NOT NULL,
    "templateId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "firmware" TEXT NOT NULL DEFAULT 'bios',
    "defaultVcpus" INTEGER NOT NULL DEFAULT 1,
    "defaultMemoryMiB" INTEGER NOT NULL DEFAULT 128,
    "note" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TemplateVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TemplateDisk" (
    "id" TEXT NOT NULL,
    "versionId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "pool" TEXT NOT NULL,
    "volume" TEXT NOT NULL,
    "bus" TEXT NOT NULL,
    "format" TEXT NOT NULL,

    CONSTRAINT "TemplateDisk_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TemplateNic" (
    "id" TEXT NOT NULL,
    "versionId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "network" TEXT NOT NULL,
    "model" TEXT NOT NULL,

    CONSTRAINT "TemplateNic_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "TemplateVersion_templateId_version_key" ON "TemplateVersion"("templateId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateDisk_versionId_position_key" ON "TemplateDisk"("versionId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateNic_versionId_position_key" ON "TemplateNic"("versionId", "position");

-- AddForeignKey
ALTER TABLE "Vm" ADD CONSTRAINT "Vm_templateVersionId_fkey" FOREIGN KEY ("templateVersionId") REFERENCES "TemplateVersion"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateVersion" ADD CONSTRAINT "TemplateVersion_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateDisk" ADD CONSTRAINT "TemplateDisk_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "TemplateVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateNic" ADD CONSTRAINT "TemplateNic_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "TemplateVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;
