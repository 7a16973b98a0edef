import { VM_SORT_KEYS, VM_STATES } from '@vireo/db';
import { memoryMiBSchema, VM_NAME_MAX, vcpusSchema, vmNameSchema } from '@vireo/protocol';
import { z } from 'zod';

export const createVmInput = z.object({
  name: vmNameSchema,
  templateId: z.string().min(1, 'Choose a template.').max(64),
  vcpus: vcpusSchema,
  memoryMiB: memoryMiBSchema,
  /** Start the VM as soon as it is defined. */
  start: z.boolean().default(false),
});

/** What `vm.create` takes, as the service receives it (defaults applied). */
export type CreateVmInput = z.output<typeof createVmInput>;

/** The most rows one `vm.list` call returns: pages, never the whole inventory. */
export const VM_LIST_LIMIT_MAX = 500;

/**
 * `vm.list`: one page of the VMs the caller may see, filtered and sorted by the database.
 * Omitted: the first 100 by name. Unknown keys are refused, so a misspelt filter is an error
 * rather than silently ignored.
 */
export const listVmsInput = z
  .object({
    offset: z.number().int().min(0).max(1_000_000).default(0),
    /** 0 returns only the total. */
    limit: z.number().int().min(0).max(VM_LIST_LIMIT_MAX, `limit must be at most ${VM_LIST_LIMIT_MAX}.`).default(100),
    sort: z.enum(VM_SORT_KEYS).default('name'),
    dir: z.enum(['asc', 'desc']).default('asc'),
    /** A substring of the name, any case. */
    name: z.string().trim().max(VM_NAME_MAX).optional(),
    states: z.array(z.enum(VM_STATES)).min(1).max(VM_STATES.length).optional(),
    hostId: z.string().min(1).max(64).optional(),
    /** Admins only; other users always get their own VMs. */
    ownerId: z.string().min(1).max(64).optional(),
  })
  .strict()
  .default({ offset: 0, limit: 100, sort: 'name', dir: 'asc' });

export type ListVmsInput = z.output<typeof listVmsInput>;
