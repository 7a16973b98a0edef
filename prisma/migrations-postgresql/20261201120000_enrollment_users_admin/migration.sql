-- Users can be disabled by an admin.
ALTER TABLE "User" ADD COLUMN     "disabledAt" TIMESTAMP(3);

-- A time-limited grant by an admin to re-enroll (re-install) an existing host.
ALTER TABLE "Host" ADD COLUMN     "reinstallAllowedUntil" TIMESTAMP(3);

-- Enrollment tokens record who created them and can be revoked.
ALTER TABLE "EnrollmentToken" ADD COLUMN     "createdById" TEXT,
ADD COLUMN     "revokedAt" TIMESTAMP(3);

-- AddForeignKey
ALTER TABLE "EnrollmentToken" ADD CONSTRAINT "EnrollmentToken_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
