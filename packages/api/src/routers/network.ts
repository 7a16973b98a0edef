import { SG_DIRECTIONS, SG_PROTOCOLS, bridgeNameSchema, ipv4Schema, macSchema, vlanTagSchema } from '@vireo/protocol';
import { clusters } from '@vireo/db';
import { z } from 'zod';
import {
  addStaticLease,
  createNetwork,
  deleteNetwork,
  listNetworksFor,
  networkLeases,
  removeStaticLease,
} from '../services/networks.ts';
import { addRule, createGroup, deleteGroup, listGroups, removeRule } from '../services/security-groups.ts';
import { rule } from '../services/permissions/rules.ts';
import { clustersWhere } from '../services/permissions/visibility.ts';
import { adminProcedure, authedProcedure, router } from '../trpc.ts';

const id = z.string().min(1).max(64);
/** Vireo network names become libvirt names (`vireo-<name>`) and appear in bridge-less XML. */
const networkName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'lowercase letters, digits and -, at most 31');

const ruleInput = z.object({
  direction: z.enum(SG_DIRECTIONS),
  protocol: z.enum(SG_PROTOCOLS),
  portStart: z.number().int().min(1).max(65535).nullable().default(null),
  portEnd: z.number().int().min(1).max(65535).nullable().default(null),
  cidr: z.string().max(18).nullable().default(null),
});

/**
 * Networks and static leases: administrators, and delegated admins on the clusters (and hosts)
 * the networks serve: create on the cluster, view/edit/delete on the network (its host's or
 * cluster's roles). Security groups span clusters: administrators.
 */
export const networkRouter = router({
  /** The networks the caller may see: a project member's are those published to its projects. */
  list: authedProcedure.meta(rule.list('network')).query(({ ctx }) => listNetworksFor(ctx.user)),
  /** Where the caller may make a network (the create form's choice): clusters it may create in. */
  clusters: authedProcedure.meta(rule.list('cluster')).query(async ({ ctx }) => {
    const where = await clustersWhere(ctx.user, 'create');
    const all = await clusters.list();
    return 'all' in where ? all : all.filter((c) => where.ids.includes(c.id));
  }),
  create: authedProcedure
    .meta(rule.on('create', 'cluster', 'clusterId'))
    .input(
      z.object({
        name: networkName,
        clusterId: id,
        scope: z.enum(['cluster', 'host']).default('cluster'),
        hostId: id.optional(),
        mode: z.enum(['nat', 'isolated', 'bridged']),
        /** bridged: the host bridge; with `vlan`, the device carrying the VLAN (NIC or bridge). */
        bridge: bridgeNameSchema.optional(),
        vlan: vlanTagSchema.optional(),
        cidr: z.string().max(18).optional(),
        dhcpStart: ipv4Schema.optional(),
        dhcpEnd: ipv4Schema.optional(),
      }),
    )
    .mutation(({ input }) => createNetwork(input)),
  delete: authedProcedure
    .meta(rule.on('delete', 'network', 'networkId'))
    .input(z.object({ networkId: id }))
    .mutation(async ({ input }) => {
      await deleteNetwork(input.networkId);
      return { networkId: input.networkId };
    }),
  /** Live from libvirt (dnsmasq's leases) on every online host of the network. */
  leases: authedProcedure
    .meta(rule.on('view', 'network', 'networkId'))
    .input(z.object({ networkId: id }))
    .query(({ input }) => networkLeases(input.networkId)),
  addStaticLease: authedProcedure
    .meta(rule.on('edit', 'network', 'networkId'))
    .input(
      z.object({
        networkId: id,
        mac: macSchema,
        ip: ipv4Schema,
        hostname: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, 'a host name: letters, digits and -')
          .optional(),
      }),
    )
    .mutation(({ input: { networkId, ...lease } }) => addStaticLease(networkId, lease)),
  removeStaticLease: authedProcedure
    .meta(rule.on('edit', 'network', 'networkId'))
    .input(z.object({ networkId: id, leaseId: id }))
    .mutation(({ input }) => removeStaticLease(input.networkId, input.leaseId)),

  securityGroups: adminProcedure.query(() => listGroups()),
  createSecurityGroup: adminProcedure
    .input(
      z.object({
        name: z.string().trim().min(1).max(64),
        description: z.string().max(500).default(''),
        rules: z.array(ruleInput).max(200).default([]),
      }),
    )
    .mutation(({ input }) => createGroup(input)),
  deleteSecurityGroup: adminProcedure.input(z.object({ groupId: id })).mutation(async ({ input }) => {
    await deleteGroup(input.groupId);
    return { groupId: input.groupId };
  }),
  addRule: adminProcedure
    .input(z.object({ groupId: id, rule: ruleInput }))
    .mutation(({ input }) => addRule(input.groupId, input.rule)),
  removeRule: adminProcedure
    .input(z.object({ groupId: id, ruleId: id }))
    .mutation(({ input }) => removeRule(input.groupId, input.ruleId)),
});
