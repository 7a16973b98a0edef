import { z } from 'zod';
import { clusterPoliciesInput, inventoryName, objectId } from '../schemas/inventory.ts';
import {
  clusterPolicies,
  createCluster,
  createDatacenter,
  deleteCluster,
  deleteDatacenter,
  hostVmLeaves,
  inventoryTree,
  moveCluster,
  moveHost,
  renameCluster,
  renameDatacenter,
  setClusterPolicies,
} from '../services/inventory.ts';
import { rule } from '../services/permissions/rules.ts';
import { adminProcedure, router } from '../trpc.ts';

/** Datacenters, clusters and which cluster a host is in (issue 8): admins only. */
export const inventoryRouter = router({
  /** Datacenters → clusters → hosts with VM counts (running/total); VMs come per host. */
  tree: adminProcedure.meta(rule.list('inventory')).query(({ ctx }) => inventoryTree(ctx.user)),
  /** One host's VMs (the tree's leaves under it), by name, at most HOST_VM_LEAVES. */
  hostVms: adminProcedure
    .meta(rule.on('view', 'host', 'hostId'))
    .input(z.object({ hostId: objectId }))
    .query(({ input }) => hostVmLeaves(input.hostId)),
  createDatacenter: adminProcedure
    .input(z.object({ name: inventoryName }))
    .mutation(({ ctx, input }) => createDatacenter(input.name, ctx.user)),
  renameDatacenter: adminProcedure
    .input(z.object({ datacenterId: objectId, name: inventoryName }))
    .mutation(({ ctx, input }) => renameDatacenter(input.datacenterId, input.name, ctx.user)),
  /** Refused while it has clusters (the message names them). */
  deleteDatacenter: adminProcedure
    .input(z.object({ datacenterId: objectId }))
    .mutation(({ ctx, input }) => deleteDatacenter(input.datacenterId, ctx.user)),
  createCluster: adminProcedure
    .input(z.object({ datacenterId: objectId, name: inventoryName }))
    .mutation(({ ctx, input }) => createCluster(input.datacenterId, input.name, ctx.user)),
  renameCluster: adminProcedure
    .meta(rule.on('manage', 'cluster', 'clusterId'))
    .input(z.object({ clusterId: objectId, name: inventoryName }))
    .mutation(({ ctx, input }) => renameCluster(input.clusterId, input.name, ctx.user)),
  moveCluster: adminProcedure
    .input(z.object({ clusterId: objectId, datacenterId: objectId }))
    .mutation(({ ctx, input }) => moveCluster(input.clusterId, input.datacenterId, ctx.user)),
  /** Refused while it has hosts, networks or storage pools (the message says which). */
  deleteCluster: adminProcedure
    .input(z.object({ clusterId: objectId }))
    .mutation(({ ctx, input }) => deleteCluster(input.clusterId, ctx.user)),
  clusterSettings: adminProcedure
    .meta(rule.on('view', 'cluster', 'clusterId'))
    .input(z.object({ clusterId: objectId }))
    .query(({ input }) => clusterPolicies(input.clusterId)),
  setClusterSettings: adminProcedure
    .meta(rule.on('manage', 'cluster', 'clusterId'))
    .input(z.object({ clusterId: objectId, settings: clusterPoliciesInput }))
    .mutation(({ ctx, input }) => setClusterPolicies(input.clusterId, input.settings, ctx.user)),
  /** Refused while VMs are recorded on the host: migrate or stop-and-move them first. */
  moveHost: adminProcedure
    .input(z.object({ hostId: objectId, clusterId: objectId }))
    .mutation(({ ctx, input }) => moveHost(input.hostId, input.clusterId, ctx.user)),
});
