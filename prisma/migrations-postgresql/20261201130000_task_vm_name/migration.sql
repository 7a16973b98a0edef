-- Task history keeps the name of the VM after the VM is deleted (Task.vmId is SET NULL then).
ALTER TABLE "Task" ADD COLUMN "vmName" TEXT;

-- Existing tasks of VMs that still exist get their name now (tasks of VMs already deleted cannot).
UPDATE "Task" SET "vmName" = (SELECT "name" FROM "Vm" WHERE "Vm"."id" = "Task"."vmId") WHERE "vmId" IS NOT NULL;
