/** Projects (tenants): members, published templates/networks/pools and quota limits (issue 10). */
import { PUBLICATION_KINDS, QUOTA_KINDS, ROLES } from '@vireo/db';
import { z } from 'zod';
import { can } from '../services/permissions/can.ts';
import { rule } from '../services/permissions/rules.ts';
import {
  createProject,
  grantRole,
  listProjects,
  moveVm,
  projectDetail,
  publish,
  removeProject,
  revokeRole,
  updateProject,
} from '../services/project-service.ts';
import { authedProcedure, router, sessionProcedure } from '../trpc.ts';

const id = z.string().min(1).max(64);
const name = z
  .string()
  .trim()
  .min(1, 'A project needs a name.')
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._ -]*$/, 'A project name holds letters, digits, spaces, ".", "_" or "-".');
const limit = z.number().int().min(0).max(1_000_000_000).nullable();
/** null: no limit. */
const quota = z.object(Object.fromEntries(QUOTA_KINDS.map((k) => [k, limit.optional()]))).strict() as z.ZodType<
  Partial<Record<(typeof QUOTA_KINDS)[number], number | null>>
>;
const publication = z.object({ projectId: id, objectKind: z.enum(PUBLICATION_KINDS), objectId: id });

export const projectRouter = router({
  /** The projects the caller holds a role on (all for administrators), with VM counts. */
  list: authedProcedure.meta(rule.list('project')).query(({ ctx }) => listProjects(ctx.user)),
  byId: authedProcedure
    .meta(rule.on('view', 'project', 'projectId'))
    .input(z.object({ projectId: id }))
    // youManage: the page offers member changes only to who may make them (its owner, admins).
    .query(async ({ ctx, input }) => ({
      ...(await projectDetail(input.projectId)),
      youManage: await can(ctx.user, 'manage', { kind: 'project', id: input.projectId }),
    })),
  create: authedProcedure
    .meta(rule.system('manage'))
    .input(z.object({ name, description: z.string().max(500).optional(), quota: quota.optional() }))
    .mutation(({ input }) => createProject(input)),
  /** Name and description: the project's owner; quota limits: administrators. */
  update: authedProcedure
    .meta(rule.on('manage', 'project', 'projectId'))
    .input(
      z.object({
        projectId: id,
        name: name.optional(),
        description: z.string().max(500).optional(),
        quota: quota.optional(),
      }),
    )
    .mutation(({ ctx, input }) => updateProject(ctx.user, input)),
  /** Refused while the project has VMs. */
  remove: authedProcedure
    .meta(rule.system('manage'))
    .input(z.object({ projectId: id }))
    .mutation(({ input }) => removeProject(input.projectId)),
  /** Grants a role on the project (its members). Granting never goes through an API token. */
  grant: sessionProcedure
    .meta(rule.on('manage', 'project', 'projectId'))
    .input(z.object({ projectId: id, userId: id, role: z.enum(ROLES) }))
    .mutation(({ ctx, input }) =>
      grantRole(ctx.user, { userId: input.userId, role: input.role, scopeKind: 'project', scopeId: input.projectId }),
    ),
  revoke: sessionProcedure
    .meta(rule.on('manage', 'project', 'projectId'))
    .input(z.object({ projectId: id, bindingId: id }))
    .mutation(({ input }) =>
      revokeRole({ bindingId: input.bindingId, scopeKind: 'project', scopeId: input.projectId }),
    ),
  /** Publishing hands out infrastructure: administrators only. */
  publish: authedProcedure
    .meta(rule.system('manage'))
    .input(publication)
    .mutation(({ input }) => publish(input.projectId, input.objectKind, input.objectId, true)),
  unpublish: authedProcedure
    .meta(rule.system('manage'))
    .input(publication)
    .mutation(({ input }) => publish(input.projectId, input.objectKind, input.objectId, false)),
  /** Moves a VM into a project, or out of any (null). */
  moveVm: authedProcedure
    .meta(rule.system('manage'))
    .input(z.object({ vmId: id, projectId: id.nullable() }))
    .mutation(({ input }) => moveVm(input.vmId, input.projectId)),
});
