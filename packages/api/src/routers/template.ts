import { templates } from '@vireo/db';
import { authedProcedure, router } from '../trpc.ts';
import type { TemplateView } from '../views.ts';

export const templateRouter = router({
  // Host paths of the template's files stay on the server: browsers need only what they show.
  list: authedProcedure.query(
    async (): Promise<TemplateView[]> =>
      (await templates.list()).map((t) => ({
        id: t.id,
        name: t.name,
        description: t.description,
        defaultVcpus: t.defaultVcpus,
        defaultMemoryMiB: t.defaultMemoryMiB,
      })),
  ),
});
