-- Single sign-on (issue 10). Plain ADD COLUMNs rather than Prisma's table redefinition, so that
-- other migrations of the same release touching User or RoleBinding keep their columns.
ALTER TABLE "RoleBinding" ADD COLUMN "source" TEXT NOT NULL DEFAULT 'manual';

ALTER TABLE "User" ADD COLUMN "oidcIssuer" TEXT;
ALTER TABLE "User" ADD COLUMN "oidcSubject" TEXT;
ALTER TABLE "User" ADD COLUMN "roleFromGroups" BOOLEAN NOT NULL DEFAULT false;

CREATE UNIQUE INDEX "User_oidcIssuer_oidcSubject_key" ON "User"("oidcIssuer", "oidcSubject");
