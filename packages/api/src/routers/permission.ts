/**
 * Role bindings on any scope (issue 10): system, datacenter, cluster, host, project, template,
 * VM. Whoever may 'manage' a scope manages its bindings (delegated admins: only their scope).
 * Granting access never goes through an API token (sessionProcedure).
 */
import { ROLES, roleBindings, SCOPE_KINDS, users } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { z } from 'zod';
import { can } from '../services/permissions/can.ts';
import { ACTIONS } from '../services/permissions/policy.ts';
import { rule } from '../services/permissions/rules.ts';
import { managesSomeScope } from '../services/permissions/visibility.ts';
import { grantRole, revokeRole } from '../services/project-service.ts';
import { authedProcedure, router, sessionProcedure } from '../trpc.ts';

const id = z.string().min(1).max(64);
const scope = { scopeKind: z.enum(SCOPE_KINDS), scopeId: z.string().max(64) };

export const permissionRouter = router({
  /** Who holds which role on this scope. */
  forScope: authedProcedure
    .meta(rule.scope('manage'))
    .input(z.object(scope))
    .query(({ input }) => roleBindings.forScope(input.scopeKind, input.scopeKind === 'system' ? '' : input.scopeId)),
  /** Every role one user holds (administrators). */
  forUser: authedProcedure
    .meta(rule.system('manage'))
    .input(z.object({ userId: id }))
    .query(({ input }) => roleBindings.forUser(input.userId)),
  /**
   * May the caller do this action on this object? The console asks it to offer only the buttons
   * that would work (delegated admins see their scope's actions); the API checks each call anyway.
   * An object the caller may not see, or that does not exist, answers false alike: nothing to probe.
   */
  can: authedProcedure
    .meta(rule.self)
    .input(z.object({ action: z.enum(ACTIONS), ...scope }))
    .query(async ({ ctx, input }) => ({
      allowed: await can(ctx.user, input.action, {
        kind: input.scopeKind,
        id: input.scopeKind === 'system' ? '' : input.scopeId,
      }),
    })),
  /** The caller's own roles. */
  mine: authedProcedure.meta(rule.self).query(({ ctx }) => roleBindings.forUser(ctx.user.id)),
  /**
   * Users to grant a role to, by part of their name (the role pickers): for whoever manages some
   * scope, so a project's owner can add members without seeing the admins' user list.
   */
  findUsers: authedProcedure
    .meta(rule.signedIn)
    .input(z.object({ text: z.string().trim().min(1, 'Type part of a user name.').max(64) }))
    .query(async ({ ctx, input }) => {
      if (!(await managesSomeScope(ctx.user)))
        throw new VireoError('FORBIDDEN', 'Only those who manage a project, host or cluster look users up.');
      return users.findByName(input.text, 20);
    }),
  grant: sessionProcedure
    .meta(rule.scope('manage'))
    .input(z.object({ ...scope, userId: id, role: z.enum(ROLES) }))
    .mutation(({ ctx, input }) => grantRole(ctx.user, input)),
  revoke: sessionProcedure
    .meta(rule.scope('manage'))
    .input(z.object({ ...scope, bindingId: id }))
    .mutation(({ input }) => revokeRole(input)),
});
