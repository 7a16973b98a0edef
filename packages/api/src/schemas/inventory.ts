import { z } from 'zod';

/** Datacenter and cluster names: short, readable, safe in messages and URLs. */
export const inventoryName = z
  .string()
  .trim()
  .min(1, 'A name is needed.')
  .max(64, 'A name is at most 64 characters.')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/,
    'A name starts with a letter or digit and holds only letters, digits, spaces, ".", "_" and "-".',
  );

export const objectId = z.string().min(1).max(64);

/** Cluster settings; every field optional (only those given change). */
export const clusterPoliciesInput = z
  .object({
    cpuBaseline: z
      .string()
      .trim()
      .max(64)
      .regex(/^[A-Za-z0-9_.-]*$/, 'A CPU model is a libvirt CPU model name (e.g. Haswell-noTSX), or empty for any.'),
    migrationMaxDowntimeMs: z.number().int().min(10).max(60_000),
    migrationBandwidthMiBs: z.number().int().min(0).max(100_000),
    migrationParallelPerHost: z.number().int().min(1).max(16),
    migrationAutoConverge: z.boolean(),
    migrationPostCopy: z.boolean(),
    placementPolicy: z.enum(['balanced', 'packed']),
    balancerMode: z.enum(['off', 'recommend', 'automatic']),
    balancerCooldownMinutes: z.number().int().min(0).max(10_080),
    balancerMaxMoves: z.number().int().min(1).max(50),
    balancerThreshold: z.number().min(0.1).max(100),
  })
  .partial();
