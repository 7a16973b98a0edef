'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/client';
import { ErrorText } from '../ui/error-text';

/**
 * A restricted template (issue 10): a VM from it goes to the project's approvers as a request,
 * unless the creator manages the project. Administrators switch it here; everyone sees the mark.
 */
export function TemplateRestricted({ templateId, isAdmin }: { templateId: string; isAdmin: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ids = useQuery(trpc.quota.restrictedTemplates.queryOptions());
  const restricted = ids.data?.includes(templateId) ?? false;
  const set = useMutation(
    trpc.quota.setTemplateRestricted.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.quota.restrictedTemplates.queryKey() }),
    }),
  );
  if (!isAdmin) {
    return restricted ? (
      <span
        className="rounded bg-amber-50 px-1.5 text-xs text-amber-800"
        data-testid="template-restricted-badge"
        title="A VM from this template is a request for an approver"
      >
        needs approval
      </span>
    ) : null;
  }
  return (
    <span className="inline-flex items-center gap-2">
      <label
        className="inline-flex items-center gap-1.5 text-xs text-zinc-700"
        title="Project members then submit a request; the project's owners and administrators approve it"
      >
        <input
          type="checkbox"
          className="size-4 accent-teal-700"
          data-testid="template-restricted"
          checked={restricted}
          disabled={!ids.data || set.isPending}
          onChange={(e) => set.mutate({ templateId, restricted: e.target.checked })}
        />
        Restricted: VMs need approval
      </label>
      {restricted && (
        <span className="rounded bg-amber-50 px-1.5 text-xs text-amber-800" data-testid="template-restricted-badge">
          needs approval
        </span>
      )}
      {set.error && <ErrorText error={set.error} />}
    </span>
  );
}
