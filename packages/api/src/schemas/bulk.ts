import { VM_STATES } from '@vireo/db';
import { VM_NAME_MAX } from '@vireo/protocol';
import { z } from 'zod';
import { BULK_ACTIONS } from '../services/bulk-plan.ts';
import { tagNameSchema } from './tags.ts';

/** The most VMs one bulk job acts on; a larger selection or saved search is refused, not cut. */
export const BULK_MAX_VMS = 1000;

/** A VM list filter without paging: what a saved search holds (vm.list's filter fields). */
export const vmFilterInput = z
  .object({
    name: z.string().trim().max(VM_NAME_MAX).optional(),
    states: z.array(z.enum(VM_STATES)).min(1).max(VM_STATES.length).optional(),
    hostId: z.string().min(1).max(64).optional(),
    ownerId: z.string().min(1).max(64).optional(),
    tag: tagNameSchema.optional(),
  })
  .strict();
export type VmFilterInput = z.output<typeof vmFilterInput>;

export const savedSearchInput = z.object({
  name: z.string().trim().min(1, 'Name the search.').max(60, 'A search name has at most 60 characters.'),
  filter: vmFilterInput,
});

/** What a bulk job acts on: the VMs selected in the list, or whatever a saved search matches now. */
export const bulkTargetInput = z.union([
  z.object({ vmIds: z.array(z.string().min(1).max(64)).min(1).max(BULK_MAX_VMS) }).strict(),
  z.object({ savedSearchId: z.string().min(1).max(64) }).strict(),
]);
export type BulkTargetInput = z.output<typeof bulkTargetInput>;

export const bulkPlanInput = z
  .object({ action: z.enum(BULK_ACTIONS), target: bulkTargetInput, tag: tagNameSchema.optional() })
  .superRefine((v, ctx) => {
    if ((v.action === 'tag' || v.action === 'untag') && !v.tag) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['tag'], message: 'Name the tag.' });
    }
  });
export type BulkPlanInput = z.output<typeof bulkPlanInput>;

/**
 * Running a job takes the ids the dry run said would be acted on: if the VMs or their states
 * changed meanwhile so that another set would be, the run is refused and the dry run shown again.
 */
export const bulkRunInput = z.object({
  plan: bulkPlanInput,
  confirmVmIds: z.array(z.string().min(1).max(64)).max(BULK_MAX_VMS),
});
