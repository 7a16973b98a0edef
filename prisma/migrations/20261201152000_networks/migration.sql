-- Networks, static DHCP leases and security groups (issue 6).
-- CreateTable
CREATE TABLE "Network" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "clusterId" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "hostId" TEXT,
    "mode" TEXT NOT NULL,
    "bridge" TEXT NOT NULL,
    "vlan" INTEGER,
    "cidr" TEXT,
    "dhcpStart" TEXT,
    "dhcpEnd" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Network_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Network_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "StaticLease" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "networkId" TEXT NOT NULL,
    "mac" TEXT NOT NULL,
    "ip" TEXT NOT NULL,
    "hostname" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "StaticLease_networkId_fkey" FOREIGN KEY ("networkId") REFERENCES "Network" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "SecurityGroup" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "SecurityGroupRule" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "groupId" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "portStart" INTEGER,
    "portEnd" INTEGER,
    "cidr" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SecurityGroupRule_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "SecurityGroup" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Network_hostId_idx" ON "Network"("hostId");

-- CreateIndex
CREATE UNIQUE INDEX "Network_clusterId_name_key" ON "Network"("clusterId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "StaticLease_networkId_mac_key" ON "StaticLease"("networkId", "mac");

-- CreateIndex
CREATE UNIQUE INDEX "StaticLease_networkId_ip_key" ON "StaticLease"("networkId", "ip");

-- CreateIndex
CREATE UNIQUE INDEX "SecurityGroup_name_key" ON "SecurityGroup"("name");

-- CreateIndex
CREATE INDEX "SecurityGroupRule_groupId_idx" ON "SecurityGroupRule"("groupId");

