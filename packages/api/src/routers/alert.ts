import { alerts } from '@vireo/db';
import { z } from 'zod';
import { createRule, deleteRule, listRuleViews, updateRule } from '../services/alerts-rule-admin.ts';
import { ruleInputSchema } from '../services/alerts-rules.ts';
import { toAlertView } from '../services/alerts-service.ts';
import { adminProcedure, router } from '../trpc.ts';

const ruleId = z.string().min(1).max(64);

/** Alerts and their rules: admins only (they name hosts and every user's VMs). */
export const alertRouter = router({
  /** Every firing alert, then the 100 most recently fired resolved ones; newest first in each. */
  list: adminProcedure.query(async () => (await alerts.list({ resolvedLimit: 100 })).map(toAlertView)),
  rules: adminProcedure.query(() => listRuleViews()),
  createRule: adminProcedure.input(ruleInputSchema).mutation(({ input }) => createRule(input)),
  updateRule: adminProcedure
    .input(ruleInputSchema.extend({ ruleId }))
    .mutation(({ input: { ruleId, ...rule } }) => updateRule(ruleId, rule)),
  deleteRule: adminProcedure.input(z.object({ ruleId })).mutation(async ({ input }) => {
    await deleteRule(input.ruleId);
    return { ruleId: input.ruleId };
  }),
});
