-- The memory ceiling that the project quota counts for each VM (schema.prisma says why);
-- existing VMs start from their recorded memory (a recount raises it to a higher reading).
ALTER TABLE "Vm" ADD COLUMN "memoryCeilingMiB" INTEGER NOT NULL DEFAULT 0;
UPDATE "Vm" SET "memoryCeilingMiB" = "memoryMiB";
