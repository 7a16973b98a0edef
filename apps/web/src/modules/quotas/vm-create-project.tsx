'use client';

/**
 * The create dialog's project choice (issue 10): the projects the user may create in, and the
 * chosen one's usage with what this VM would add. Tells the dialog whether the VM needs an
 * approver (over quota, or a restricted template).
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTRPC } from '@/trpc/client';
import { inputClass } from '../ui/buttons';
import { overQuota, type QuotaFigures, QuotaBars } from './quota-bars';

export type NeedsApproval = { over: string[]; restricted: boolean } | null;

export function VmCreateProject({
  projectId,
  setProjectId,
  templateId,
  cost,
  templateDiskUnknown = false,
  onNeedsApproval,
}: {
  projectId: string;
  setProjectId: (id: string) => void;
  templateId: string;
  cost: QuotaFigures | null;
  /** No host could read the template's disk size: the bars leave it out, and say so. */
  templateDiskUnknown?: boolean;
  onNeedsApproval: (n: NeedsApproval) => void;
}) {
  const trpc = useTRPC();
  const projects = useQuery(trpc.quota.projects.queryOptions());
  // A project's people create in their projects (so the VM counts against a quota): no "None",
  // and the first project is chosen for them.
  const outside = useQuery(trpc.quota.outsideProjects.queryOptions());
  const mustChoose = outside.data?.allowed === false;
  const firstId = projects.data?.[0]?.id;
  // biome-ignore lint/correctness/useExhaustiveDependencies: chosen once, when the list arrives
  useEffect(() => {
    if (mustChoose && !projectId && firstId) setProjectId(firstId);
  }, [mustChoose, firstId]);
  const restrictedIds = useQuery(trpc.quota.restrictedTemplates.queryOptions());
  const project = projects.data?.find((p) => p.id === projectId);
  const over = project && cost ? overQuota(project.quota, project.used, cost) : [];
  const restricted = Boolean(project && !project.managesProject && restrictedIds.data?.includes(templateId));
  const needs = over.length > 0 || restricted;
  const key = `${needs}|${over.join()}|${restricted}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: reported when the verdict changes (key)
  useEffect(() => onNeedsApproval(needs ? { over, restricted } : null), [key]);

  if (mustChoose && projects.data?.length === 0) {
    return (
      <p className="text-sm text-red-700" data-testid="vm-no-project">
        You create VMs in your projects, and none of them lets you add one (a viewer’s role). Ask a project’s owner for
        a member’s role.
      </p>
    );
  }
  if (!projects.data || projects.data.length === 0) return null;
  return (
    <div className="space-y-2">
      <label className="block space-y-1 text-xs font-medium text-zinc-700">
        Project
        <select
          data-testid="vm-project"
          className={inputClass}
          value={projectId}
          onChange={(e) => setProjectId(e.target.value)}
        >
          {!mustChoose && <option value="">None (outside projects)</option>}
          {projects.data.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      {project && (
        <div className="rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2" data-testid="vm-project-usage">
          <p className="mb-1 text-xs text-zinc-600">
            Usage of project <span className="font-medium text-zinc-800">{project.name}</span>, with this VM:
          </p>
          <QuotaBars quota={project.quota} used={project.used} adding={cost ?? undefined} />
          {templateDiskUnknown && (
            <p className="mt-1 text-xs text-zinc-600" data-testid="vm-template-disk-unknown">
              The template’s disk size could not be read now (no host answered): the disk bar leaves it out. Creating
              counts it, and refuses if no host can read it.
            </p>
          )}
          {needs && (
            <p className="mt-2 text-xs text-red-700" data-testid="vm-needs-approval">
              {over.length > 0 && 'This VM would pass the project’s quota. '}
              {restricted && 'This template is restricted. '}
              Submit it as a request: an approver of the project creates it, or says why not.
            </p>
          )}
        </div>
      )}
    </div>
  );
}
