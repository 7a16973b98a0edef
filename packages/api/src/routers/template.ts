import { createTemplateInput, publishVersionInput } from '../schemas/template.ts';
import { createTemplate, listTemplates, publishVersion } from '../services/templates.ts';
import { adminProcedure, authedProcedure, router } from '../trpc.ts';
import type { TemplateListItem } from '../views.ts';

export const templateRouter = router({
  /** Every template; disk templates with their versions (newest first), disks, NICs and VM counts. */
  list: authedProcedure.query((): Promise<TemplateListItem[]> => listTemplates()),
  /** A disk template from existing pool volumes, which become its version 1's bases. */
  create: adminProcedure.input(createTemplateInput).mutation(({ input }) => createTemplate(input)),
  /** The next version of a disk template, on new bases; VMs of older versions keep theirs. */
  publishVersion: adminProcedure.input(publishVersionInput).mutation(({ input }) => publishVersion(input)),
});
