-- A task can be asked to stop (vm.clone cancel).
ALTER TABLE "Task" ADD COLUMN "cancelRequested" BOOLEAN NOT NULL DEFAULT false;
