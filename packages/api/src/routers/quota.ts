/** Project quotas and VM requests (issue 10): usage, the repair, restricted templates, approvals. */
import { VM_REQUEST_STATES } from '@vireo/db';
import { z } from 'zod';
import { createVmInput } from '../schemas/vm.ts';
import {
  approveRequest,
  cancelRequest,
  myRequests,
  rejectRequest,
  requestQueue,
  submitRequest,
} from '../services/quotas/requests.ts';
import {
  creatableProjects,
  projectUsage,
  recountProject,
  restrictedTemplateIds,
  setTemplateRestricted,
} from '../services/quotas/usage.ts';
import { templateDiskFor } from '../services/quotas/template-disk.ts';
import { rule } from '../services/permissions/rules.ts';
import { mayCreateOutsideProjects } from '../services/permissions/visibility.ts';
import { adminProcedure, authedProcedure, router } from '../trpc.ts';

const id = z.string().min(1).max(64);
const note = z.string().max(1000).default('');

export const quotaRouter = router({
  /** A project's quota and usage (the quota panel). */
  usage: authedProcedure
    .meta(rule.on('view', 'project', 'projectId'))
    .input(z.object({ projectId: id }))
    .query(({ ctx, input }) => projectUsage(input.projectId, ctx.user)),
  /** The projects the caller may create VMs in, with usage (the create dialog). */
  projects: authedProcedure.meta(rule.signedIn).query(({ ctx }) => creatableProjects(ctx.user)),
  /** May the caller create a VM in no project (the create dialog's "None")? A project's people may not. */
  outsideProjects: authedProcedure
    .meta(rule.self)
    .query(async ({ ctx }) => ({ allowed: await mayCreateOutsideProjects(ctx.user) })),
  /** Admin repair: recount a project's used counters from its VMs, disks and snapshots. */
  recount: adminProcedure.input(z.object({ projectId: id })).mutation(({ input }) => recountProject(input.projectId)),
  restrictedTemplates: authedProcedure.meta(rule.signedIn).query(() => restrictedTemplateIds()),
  /** What a template's disks add to the disk quota (the create form's preview); the handler checks the template is visible. */
  templateDisk: authedProcedure
    .meta(rule.signedIn)
    .input(z.object({ templateId: id, templateVersionId: id.optional() }))
    .query(({ ctx, input }) => templateDiskFor(ctx.user, input)),
  setTemplateRestricted: adminProcedure
    .input(z.object({ templateId: id, restricted: z.boolean() }))
    .mutation(({ input }) => setTemplateRestricted(input.templateId, input.restricted)),
});

export const vmRequestRouter = router({
  /** Ask for a VM instead of creating it (over quota, or a restricted template). */
  // The service checks 'create' on the project the input names.
  submit: authedProcedure
    .meta(rule.signedIn)
    .input(createVmInput)
    .mutation(({ ctx, input }) => submitRequest(input, ctx.user)),
  mine: authedProcedure.meta(rule.self).query(({ ctx }) => myRequests(ctx.user)),
  /** The approver's queue (admins: every project; a project's owners: theirs). */
  queue: authedProcedure
    .meta(rule.signedIn)
    .input(z.object({ state: z.enum(VM_REQUEST_STATES).optional() }).default({}))
    .query(({ ctx, input }) => requestQueue(ctx.user, input.state)),
  // Approve and reject check 'manage' on the request's project (services/quotas/requests.ts).
  approve: authedProcedure
    .meta(rule.signedIn)
    .input(z.object({ id, note }))
    .mutation(({ ctx, input }) => approveRequest(input.id, ctx.user, input.note)),
  reject: authedProcedure
    .meta(rule.signedIn)
    .input(z.object({ id, note: z.string().trim().min(1, 'Say why, for the requester.').max(1000) }))
    .mutation(({ ctx, input }) => rejectRequest(input.id, ctx.user, input.note)),
  // Only the requester cancels its own pending request.
  cancel: authedProcedure
    .meta(rule.self)
    .input(z.object({ id }))
    .mutation(({ ctx, input }) => cancelRequest(input.id, ctx.user)),
});
