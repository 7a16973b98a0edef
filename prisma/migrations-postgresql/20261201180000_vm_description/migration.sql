-- Free-text description of a VM (vm.edit), also kept in the domain XML <description>.
ALTER TABLE "Vm" ADD COLUMN "description" TEXT NOT NULL DEFAULT '';
