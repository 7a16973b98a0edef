-- Per-device boot order of a VM's drives and NICs (vm.editBoot), null when not listed.
ALTER TABLE "VmDisk" ADD COLUMN "bootOrder" INTEGER;
ALTER TABLE "VmNic" ADD COLUMN "bootOrder" INTEGER;
-- When the running VM's QEMU process started, as its host reports it (null when not running).
ALTER TABLE "Vm" ADD COLUMN "startedAt" TIMESTAMP(3);
