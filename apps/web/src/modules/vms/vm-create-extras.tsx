'use client';

import { useQuery } from '@tanstack/react-query';
import type { CreateVmInput } from '@vireo/api';
import { cloudInitSeedSchema } from '@vireo/protocol';
import { useTRPC } from '@/trpc/client';
import { AffinityGroupSelect } from '../affinity/affinity-select';
import { inputBase, inputClass } from '../ui/buttons';

/**
 * The create form's network-and-boot extras: the security group of the NIC and a cloud-init
 * (NoCloud) seed. Kept apart from the hardware fields so each part stays small; merged into
 * the create input at submit.
 */
export interface ExtrasDraft {
  securityGroupId: string;
  cloudInit: boolean;
  hostname: string;
  userName: string;
  sshKey: string;
  userData: string;
  /** Placement: the affinity group the VM joins (admins), or ''. */
  affinityGroupId: string;
}

export const EXTRAS_DEFAULTS: ExtrasDraft = {
  securityGroupId: '',
  cloudInit: false,
  hostname: '',
  userName: '',
  sshKey: '',
  userData: '',
  affinityGroupId: '',
};

function seedOf(d: ExtrasDraft): unknown {
  const key = d.sshKey.trim();
  return {
    hostname: d.hostname.trim(),
    ...(d.userName.trim() ? { user: { name: d.userName.trim(), sshAuthorizedKeys: key ? [key] : [] } } : {}),
    ...(d.userData.trim() ? { userData: d.userData } : {}),
  };
}

/** The seed's first problem, checked with the API's own schema, or undefined. */
export function extrasIssue(d: ExtrasDraft): string | undefined {
  if (!d.cloudInit) return undefined;
  if (d.sshKey.trim() && !d.userName.trim()) return 'An SSH key needs a user name.';
  const r = cloudInitSeedSchema.safeParse(seedOf(d));
  if (r.success) return undefined;
  const issue = r.error.issues[0];
  return issue ? `${issue.path.at(-1) === 'hostname' ? 'Hostname: ' : ''}${issue.message}` : 'Invalid seed.';
}

/** Adds the extras to the create input built from the hardware fields. */
export function withExtras(input: CreateVmInput, d: ExtrasDraft): CreateVmInput {
  const nics = input.nics?.map((n) => (d.securityGroupId ? { ...n, securityGroupId: d.securityGroupId } : n));
  const seed = d.cloudInit ? cloudInitSeedSchema.parse(seedOf(d)) : undefined;
  const group = d.affinityGroupId ? { affinityGroupId: d.affinityGroupId } : {};
  return { ...input, ...(nics ? { nics } : {}), ...(seed ? { cloudInit: seed } : {}), ...group };
}

export function VmCreateExtras({
  draft,
  set,
  hasNic,
  isAdmin,
  error,
}: {
  draft: ExtrasDraft;
  set: (patch: Partial<ExtrasDraft>) => void;
  hasNic: boolean;
  isAdmin: boolean;
  error: string | undefined;
}) {
  const trpc = useTRPC();
  // Security groups are managed (and listed) by admins only.
  const groups = useQuery({ ...trpc.network.securityGroups.queryOptions(), enabled: isAdmin && hasNic });
  return (
    <fieldset className="space-y-3 rounded-md border border-zinc-200 p-3" data-testid="vm-extras-fields">
      <legend className="px-1 text-xs font-medium text-zinc-700">Placement, network security and cloud-init</legend>
      {isAdmin && <AffinityGroupSelect value={draft.affinityGroupId} onChange={(id) => set({ affinityGroupId: id })} />}
      {hasNic && isAdmin && (
        <div className="space-y-1">
          <label htmlFor="vm-securityGroup" className="block text-xs font-medium text-zinc-700">
            Security group of the network card
          </label>
          <select
            id="vm-securityGroup"
            data-testid="vm-nic-security-group"
            className={inputClass}
            value={draft.securityGroupId}
            onChange={(e) => set({ securityGroupId: e.target.value })}
          >
            <option value="">None (all traffic allowed)</option>
            {groups.data?.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
      )}
      <label className="flex items-center gap-2 text-sm text-zinc-800">
        <input
          data-testid="vm-cloud-init"
          type="checkbox"
          className="size-4 accent-teal-700"
          checked={draft.cloudInit}
          onChange={(e) => set({ cloudInit: e.target.checked })}
        />
        cloud-init seed (NoCloud CD-ROM built by the host)
      </label>
      {draft.cloudInit && (
        <div className="space-y-3 pl-6">
          <div className="grid grid-cols-2 gap-4">
            <Text id="vm-ci-hostname" label="Hostname" value={draft.hostname} onChange={(v) => set({ hostname: v })} />
            <Text
              id="vm-ci-user"
              label="User (optional)"
              value={draft.userName}
              onChange={(v) => set({ userName: v })}
            />
          </div>
          <Text
            id="vm-ci-ssh-key"
            label="SSH public key (optional)"
            value={draft.sshKey}
            onChange={(v) => set({ sshKey: v })}
          />
          <div className="space-y-1">
            <label htmlFor="vm-ci-user-data" className="block text-xs font-medium text-zinc-700">
              User data (optional: a “#!” script or “#cloud-config”)
            </label>
            <textarea
              id="vm-ci-user-data"
              data-testid="vm-ci-user-data"
              rows={4}
              spellCheck={false}
              className={`${inputBase} py-1.5 font-mono text-xs`}
              value={draft.userData}
              onChange={(e) => set({ userData: e.target.value })}
            />
          </div>
          {error && (
            <p data-testid="field-error-cloudInit" className="text-xs text-red-700">
              {error}
            </p>
          )}
        </div>
      )}
    </fieldset>
  );
}

function Text({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
}) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-xs font-medium text-zinc-700">
        {label}
      </label>
      <input
        id={id}
        data-testid={id}
        className={`${inputClass} font-mono`}
        autoComplete="off"
        spellCheck={false}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  );
}
