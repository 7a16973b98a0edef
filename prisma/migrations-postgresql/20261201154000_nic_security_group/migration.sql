-- A NIC may reference a security group (issue 6). No foreign key: libvirt refuses to drop a filter in use.
ALTER TABLE "VmNic" ADD COLUMN "securityGroupId" TEXT;

-- CreateIndex
CREATE INDEX "VmNic_securityGroupId_idx" ON "VmNic"("securityGroupId");
