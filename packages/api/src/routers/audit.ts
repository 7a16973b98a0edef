import { z } from 'zod';
import { auditFilterInput, searchAudit } from '../services/audit/search.ts';
import { adminProcedure, router } from '../trpc.ts';

/** The audit log, for administrators (read-only: no procedure changes an entry). CSV: edge/audit-export.ts. */
export const auditRouter = router({
  search: adminProcedure
    .input(
      // Strict: a filter key Vireo does not know (a typo, `action` for `actionPrefix`) is an
      // error, not a search of everything.
      auditFilterInput
        .extend({
          limit: z.number().int().min(1).max(200).default(50),
          before: z.object({ at: z.string().datetime(), id: z.string().max(64) }).optional(),
        })
        .strict(),
    )
    .query(({ input }) => searchAudit(input)),
});
