-- Console tickets say which console they open (issue 7: the serial console beside VNC)
-- AlterTable
ALTER TABLE "ConsoleTicket" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'vnc';
