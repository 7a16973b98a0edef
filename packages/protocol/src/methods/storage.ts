/**
 * Storage pools and volumes on one host (libvirt `dir` pools). A cluster pool is the same name
 * and directory on every host of its cluster (a shared dir), so each host's libvirt sees the same
 * files; the manager applies it to each host with `pool.ensure`.
 *
 * The agent guards what only it can see, its domains: it never deletes a volume a domain on its
 * host uses (attached, or anywhere in the disk's backing chain), nor a base other volumes are
 * clones of. Domains on *other* hosts are the manager's to check (it asks them with `pool.list`).
 */
import { z } from 'zod';

/** Pool names become libvirt names and directory names: a conservative alphabet. */
export const poolNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'Pool names are 1-64 of a-z 0-9 _ . - and start with a letter or digit.');

/** Volume names become file names in the pool's directory: no slash, no leading dot. */
export const volumeNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/,
    'Volume names are 1-128 of letters, digits, _ . - and start with a letter or digit.',
  );

/** An absolute, normalised path: no `.` or `..` segments, no `//`, no trailing slash, no NUL. */
export const normalizedPathSchema = z
  .string()
  .max(4096)
  .refine(
    // A '/' followed by nothing, another '/', or a '.'/'..' segment.
    (p) => p === '/' || (p.startsWith('/') && !p.includes('\0') && !/\/(\.{1,2})?(\/|$)/.test(p)),
    'Must be an absolute, normalised path (no "." or ".." parts, no "//", no trailing "/").',
  );

export const volumeFormatSchema = z.enum(['qcow2', 'raw']);

/** Up to 64 TiB: larger is a typo, not a disk. */
export const volumeSizeSchema = z
  .number()
  .int()
  .min(1024 * 1024, 'At least 1 MiB.')
  .max(64 * 1024 ** 4, 'At most 64 TiB.');

export const poolInfoSchema = z.object({
  name: z.string(),
  uuid: z.string(),
  type: z.string(),
  state: z.enum(['inactive', 'building', 'running', 'degraded', 'inaccessible']),
  path: z.string(),
  capacityBytes: z.number().nonnegative(),
  allocationBytes: z.number().nonnegative(),
  availableBytes: z.number().nonnegative(),
  autostart: z.boolean(),
  persistent: z.boolean(),
});
export type PoolInfo = z.infer<typeof poolInfoSchema>;

/** A domain on the reporting host that uses a volume: as its disk, or through a backing chain. */
export const volumeUserSchema = z.object({
  uuid: z.string(),
  name: z.string(),
  /** libvirt's domain state in words (running, shutoff, ...). */
  state: z.string().max(32),
  via: z.enum(['disk', 'backing']),
});
export type VolumeUser = z.infer<typeof volumeUserSchema>;

export const volumeInfoSchema = z.object({
  name: z.string(),
  pool: z.string(),
  path: z.string(),
  format: z.string(),
  /** Virtual size (what a guest sees). */
  capacityBytes: z.number().nonnegative(),
  /** Bytes used on the host: far less than capacity for a thin volume. */
  allocationBytes: z.number().nonnegative(),
  backingPath: z.string().nullable(),
  /** Domains on the reporting host using it. */
  usedBy: z.array(volumeUserSchema),
  /** Paths of volumes (in any pool on the reporting host) whose backing chain contains it. */
  dependants: z.array(z.string()),
});
export type VolumeInfo = z.infer<typeof volumeInfoSchema>;

const volumeRef = z.object({ pool: poolNameSchema, name: volumeNameSchema });

export const storageRequests = {
  /** Pools with live figures (refreshed first); volumes for running pools, null otherwise. */
  'pool.list': {
    params: z.object({ name: poolNameSchema.optional() }),
    result: z.object({
      pools: z.array(poolInfoSchema.extend({ volumes: z.array(volumeInfoSchema).nullable() })),
    }),
  },
  /** Define (if missing), build, start and autostart a dir pool. Idempotent; another path → CONFLICT. */
  'pool.ensure': {
    params: z.object({ name: poolNameSchema, path: normalizedPathSchema }),
    result: z.object({ pool: poolInfoSchema }),
  },
  /** Stop and undefine the pool; its files stay. Refused while a domain here uses one of its volumes. */
  'pool.remove': { params: z.object({ name: poolNameSchema }), result: z.object({}) },
  /** A blank thin volume. Re-sent after success: the same volume is returned. */
  'volume.create': {
    params: volumeRef.extend({ format: volumeFormatSchema, capacityBytes: volumeSizeSchema }),
    result: z.object({ volume: volumeInfoSchema }),
  },
  /**
   * `linked`: a qcow2 whose backing store is `sourcePath` (the source is only read from then on).
   * `full`: an independent copy in `format` (progress reported while it is written).
   */
  'volume.clone': {
    params: volumeRef.extend({
      sourcePath: normalizedPathSchema,
      mode: z.enum(['linked', 'full']),
      format: volumeFormatSchema.default('qcow2'),
    }),
    result: z.object({ volume: volumeInfoSchema }),
  },
  /** Grow only. Refused while a running domain here uses it. */
  'volume.resize': {
    params: volumeRef.extend({ capacityBytes: volumeSizeSchema }),
    result: z.object({ volume: volumeInfoSchema }),
  },
  /** Refused while a domain here uses it or another volume is its clone. Gone already: done. */
  'volume.delete': { params: volumeRef, result: z.object({}) },
  /**
   * The summed virtual size of a template's disks (pool volumes: a disk template's bases; files:
   * a kernel template's base): what the disks made from them get, counted against disk quotas.
   */
  'disk.virtualSize': {
    params: z.object({
      volumes: z.array(volumeRef).max(32).default([]),
      paths: z.array(normalizedPathSchema).max(4).default([]),
    }),
    result: z.object({ bytes: z.number().int().nonnegative() }),
  },
} as const;
