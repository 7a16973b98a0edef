-- Users can be disabled by an admin.
ALTER TABLE "User" ADD COLUMN "disabledAt" DATETIME;

-- An admin's time-limited grant to re-enroll (re-install) an existing host.
ALTER TABLE "Host" ADD COLUMN "reinstallAllowedUntil" DATETIME;

-- Enrollment tokens record who created them and can be revoked. SQLite accepts a REFERENCES
-- clause on ADD COLUMN when the default is NULL, so no table rebuild is needed.
ALTER TABLE "EnrollmentToken" ADD COLUMN "createdById" TEXT REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "EnrollmentToken" ADD COLUMN "revokedAt" DATETIME;
