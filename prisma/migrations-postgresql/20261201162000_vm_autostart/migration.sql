-- Autostart with the host, start order and delay (issue 7), applied by the manager.
ALTER TABLE "Vm" ADD COLUMN     "autostart" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "autostartOrder" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "autostartDelayS" INTEGER NOT NULL DEFAULT 0;
