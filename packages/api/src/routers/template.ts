import { createTemplateInput, publishVersionInput } from '../schemas/template.ts';
import { libvirtNameSchema } from '@vireo/protocol';
import { z } from 'zod';
import { createTemplate, listTemplates, publishVersion, templateFromVm } from '../services/templates.ts';
import { deleteTemplate, deleteTemplateVersion } from '../services/template-delete.ts';
import { loadVmForUser } from '../services/vm-access.ts';
import { rule } from '../services/permissions/rules.ts';
import { adminProcedure, authedProcedure, router } from '../trpc.ts';
import type { TemplateListItem } from '../views.ts';

export const templateRouter = router({
  /** Every template; disk templates with their versions (newest first), disks, NICs and VM counts. */
  list: authedProcedure
    .meta(rule.list('template'))
    .query(({ ctx }): Promise<TemplateListItem[]> => listTemplates(ctx.user)),
  /** A disk template from existing pool volumes, which become its version 1's bases. */
  create: adminProcedure.input(createTemplateInput).mutation(({ input }) => createTemplate(input)),
  /** The next version of a disk template, on new bases; VMs of older versions keep theirs. */
  publishVersion: adminProcedure.input(publishVersionInput).mutation(({ input }) => publishVersion(input)),
  /**
   * A template (name) or the next version of one (templateId) from a stopped VM: its disks are
   * copied into new bases; the VM is kept.
   */
  fromVm: adminProcedure
    .input(
      z
        .object({
          vmId: z.string().min(1).max(64),
          name: libvirtNameSchema.optional(),
          templateId: z.string().min(1).max(64).optional(),
          description: z.string().max(500).optional(),
        })
        .refine((v) => Boolean(v.name) !== Boolean(v.templateId), 'Give a new name or a template, not both.'),
    )
    .mutation(async ({ ctx, input }) => templateFromVm(await loadVmForUser(input.vmId, ctx.user), input, ctx.user)),
  /** Deletes one version and its base volumes; refused (naming them) while VMs were made from it. */
  deleteVersion: adminProcedure
    .input(z.object({ versionId: z.string().min(1).max(64) }))
    .mutation(({ input }) => deleteTemplateVersion(input.versionId)),
  /** Deletes a template, its versions and their bases; refused (naming them) while VMs use it. */
  delete: adminProcedure
    .input(z.object({ templateId: z.string().min(1).max(64) }))
    .mutation(({ input }) => deleteTemplate(input.templateId)),
});
