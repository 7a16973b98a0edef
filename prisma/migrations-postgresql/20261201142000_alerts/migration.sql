-- Alerts (issue 11): rules per host/VM and the alerts they fired. Only transitions are stored.
-- CreateTable
CREATE TABLE "AlertRule" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "scopeId" TEXT,
    "metric" TEXT NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "forSeconds" INTEGER NOT NULL DEFAULT 0,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AlertRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Alert" (
    "id" TEXT NOT NULL,
    "ruleId" TEXT NOT NULL,
    "objectType" TEXT NOT NULL,
    "objectId" TEXT NOT NULL,
    "objectName" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "openKey" TEXT,
    "value" DOUBLE PRECISION NOT NULL,
    "message" TEXT NOT NULL,
    "firedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMP(3),

    CONSTRAINT "Alert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Alert_openKey_key" ON "Alert"("openKey");

-- CreateIndex
CREATE INDEX "Alert_state_idx" ON "Alert"("state");

-- CreateIndex
CREATE INDEX "Alert_firedAt_idx" ON "Alert"("firedAt");

-- CreateIndex
CREATE INDEX "Alert_ruleId_idx" ON "Alert"("ruleId");

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "AlertRule"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Default rules, once (a migration runs once per database, so rules an admin deleted stay deleted).
INSERT INTO "AlertRule" ("id", "name", "scope", "scopeId", "metric", "threshold", "forSeconds", "enabled", "createdAt", "updatedAt") VALUES
  ('default-host-offline', 'Host offline', 'hosts', NULL, 'hostOffline', 0, 60, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
  ('default-host-cpu', 'Host CPU above 90 %', 'hosts', NULL, 'cpu', 90, 300, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
  ('default-host-memory', 'Host memory above 95 %', 'hosts', NULL, 'memory', 95, 300, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
  ('default-host-storage', 'VM storage below 10 % free', 'hosts', NULL, 'storageFree', 10, 0, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
