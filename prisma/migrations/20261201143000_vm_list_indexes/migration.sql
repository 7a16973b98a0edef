-- The VM list pages, filters and sorts in the database (issue 11). nameKey is the name
-- lower-cased with "_" as "^" (see schema.prisma), kept by the repository, so the name filter
-- and sort behave the same on SQLite and PostgreSQL. Composite indexes end in id: the list
-- breaks ties by id.
ALTER TABLE "Vm" ADD COLUMN "nameKey" TEXT NOT NULL DEFAULT '';
UPDATE "Vm" SET "nameKey" = replace(lower("name"), '_', '^');

CREATE INDEX "Vm_nameKey_id_idx" ON "Vm"("nameKey", "id");
CREATE INDEX "Vm_state_id_idx" ON "Vm"("state", "id");
CREATE INDEX "Vm_memoryMiB_id_idx" ON "Vm"("memoryMiB", "id");
CREATE INDEX "Vm_vcpus_id_idx" ON "Vm"("vcpus", "id");
CREATE INDEX "Vm_createdAt_id_idx" ON "Vm"("createdAt", "id");
