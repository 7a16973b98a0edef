'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { btn, inputBase } from '../ui/buttons';
import { CopyField } from '../ui/copy-field';
import { Dialog } from '../ui/dialog';
import { ErrorText } from '../ui/error-text';
import { formatDateTime } from '../ui/format';
import { PlusIcon } from '../ui/icons';

/** Where a new host's agent keeps VM disks; the lab hosts use the same path. */
const STORAGE_DIR = '/var/lib/libvirt/images/vireo';

type TokenRow = RouterOutputs['host']['enrollment']['tokens'][number];

export function agentCommand(origin: string, token: string): string {
  // Tokens are base64url, so they need no shell quoting.
  return `VIREO_MANAGER_URL=${origin} VIREO_ENROLLMENT_TOKEN=${token} VIREO_VM_STORAGE_DIR=${STORAGE_DIR} node --import tsx apps/agent/src/main.ts`;
}

const hoursText = (h: number) => (h % 24 === 0 ? `${h / 24} ${h === 24 ? 'day' : 'days'}` : `${h} h`);

/**
 * "Add host": shows the enrollment tokens that exist (never their secrets) and mints a new one
 * only when asked; also where an admin allows an enrolled host to be re-installed.
 */
export function AddHostButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" data-testid="host-add" className={btn.primary} onClick={() => setOpen(true)}>
        <PlusIcon />
        Add host
      </button>
      {open && <AddHostDialog onClose={() => setOpen(false)} />}
    </>
  );
}

function AddHostDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const enrollment = useQuery(trpc.host.enrollment.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.host.enrollment.queryKey() });
  const create = useMutation(trpc.host.createEnrollmentToken.mutationOptions({ onSuccess: refresh }));
  const ttlHours = enrollment.data?.ttlHours;
  const valid = (enrollment.data?.tokens ?? []).filter((t) => t.status === 'valid');
  const past = (enrollment.data?.tokens ?? []).filter((t) => t.status !== 'valid').slice(0, 5);

  return (
    <Dialog
      title="Add a host"
      width="max-w-2xl"
      testId="host-add-dialog"
      onClose={onClose}
      footer={
        <button type="button" className={btn.secondary} onClick={onClose}>
          Close
        </button>
      }
    >
      <div className="max-h-[65vh] space-y-4 overflow-y-auto pr-1">
        {create.data ? (
          <EnrollmentSteps token={create.data.token} expiresAt={create.data.expiresAt} />
        ) : (
          <div className="space-y-2">
            <p>
              A new host's agent enrolls once with a single-use token
              {ttlHours ? ` (valid ${hoursText(ttlHours)})` : ''}. The token is shown only when it is created.
            </p>
            <button
              type="button"
              data-testid="enroll-create"
              className={btn.primary}
              disabled={create.isPending}
              onClick={() => create.mutate()}
            >
              {create.isPending ? 'Creating token…' : 'Create enrollment token'}
            </button>
            <ErrorText error={create.error} />
          </div>
        )}
        <ErrorText error={enrollment.error} />
        <TokenTable title="Unused tokens" rows={valid} empty="No unused tokens." revocable />
        {past.length > 0 && <TokenTable title="Recently used, expired or revoked" rows={past} />}
        <ReinstallSection />
      </div>
    </Dialog>
  );
}

function EnrollmentSteps({ token, expiresAt }: { token: string; expiresAt: string }) {
  return (
    <div className="space-y-4">
      <p>
        On the new host, as <span className="font-mono text-zinc-900">root</span>, from a checkout of Vireo (with
        libvirt and Node installed), run:
      </p>
      <CopyField value={agentCommand(window.location.origin, token)} testId="enroll-command" rows={3} />
      <p className="text-xs text-zinc-500">
        <span className="font-mono">VIREO_MANAGER_URL</span> is the address this page was opened with; change it if the
        new host reaches the manager by another address.
      </p>
      <div className="space-y-1">
        <div className="text-xs font-medium text-zinc-700">Enrollment token</div>
        <CopyField value={token} testId="enroll-token" />
      </div>
      <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-xs text-amber-900">
        Copy it now: it is not shown again. The token is single-use and valid until{' '}
        <span className="font-medium tabular-nums">{formatDateTime(expiresAt)}</span>. The host appears in the list once
        its agent has enrolled.
      </p>
    </div>
  );
}

function TokenTable({
  title,
  rows,
  empty,
  revocable = false,
}: {
  title: string;
  rows: TokenRow[];
  empty?: string;
  revocable?: boolean;
}) {
  return (
    <section className="space-y-1" data-testid={revocable ? 'enroll-tokens-valid' : 'enroll-tokens-past'}>
      <h3 className="text-xs font-semibold tracking-wide text-zinc-600 uppercase">{title}</h3>
      {rows.length === 0 ? (
        <p className="text-xs text-zinc-500">{empty}</p>
      ) : (
        <ul className="divide-y divide-zinc-100 rounded-md border border-zinc-200">
          {rows.map((t) => (
            <TokenItem key={t.id} token={t} revocable={revocable} />
          ))}
        </ul>
      )}
    </section>
  );
}

function TokenItem({ token, revocable }: { token: TokenRow; revocable: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(
    trpc.host.revokeEnrollmentToken.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.host.enrollment.queryKey() }),
    }),
  );
  const by = token.createdByName ? ` by ${token.createdByName}` : '';
  const outcome =
    token.status === 'used'
      ? `used${token.hostName ? ` by host ${token.hostName}` : ''}`
      : token.status === 'valid'
        ? `expires ${formatDateTime(token.expiresAt)}`
        : token.status;

  return (
    <li
      data-testid="enroll-token-row"
      data-status={token.status}
      className="flex flex-wrap items-center gap-2 px-2 py-1.5"
    >
      <div className="min-w-0 flex-1 text-xs">
        <div className="text-zinc-800">{`Created ${formatDateTime(token.createdAt)}${by}`}</div>
        <div className="text-zinc-500">{outcome}</div>
        {revoke.error && <ErrorText error={revoke.error} />}
      </div>
      {revocable && (
        <button
          type="button"
          data-testid="enroll-token-revoke"
          className={btn.danger}
          disabled={revoke.isPending}
          aria-label={`Revoke the token created ${formatDateTime(token.createdAt)}${by}`}
          onClick={() => revoke.mutate({ tokenId: token.id })}
        >
          {revoke.isPending ? 'Revoking…' : 'Revoke'}
        </button>
      )}
    </li>
  );
}

/**
 * Re-installing a host: a token never re-enrolls an enrolled machine (that would hand its
 * identity to whoever holds the token) unless an admin allows it here, for a limited time.
 */
function ReinstallSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hosts = useQuery(trpc.host.list.queryOptions());
  const enrollment = useQuery(trpc.host.enrollment.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.host.enrollment.queryKey() });
  const allow = useMutation(trpc.host.allowReinstall.mutationOptions({ onSuccess: refresh }));
  const cancel = useMutation(trpc.host.cancelReinstall.mutationOptions({ onSuccess: refresh }));
  const [hostId, setHostId] = useState('');
  const selectId = useId();
  const errorId = useId();
  const grants = enrollment.data?.reinstalls ?? [];
  const granted = new Set(grants.map((g) => g.hostId));

  return (
    <section className="space-y-2 border-t border-zinc-100 pt-3">
      <h3 className="text-xs font-semibold tracking-wide text-zinc-600 uppercase">Re-install an enrolled host</h3>
      <p className="text-xs text-zinc-500">
        A token never re-enrolls a machine that is already enrolled. To re-install one (new credential, same host),
        allow it here first; its old credential stops working when it re-enrolls.
      </p>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (hostId) allow.mutate({ hostId });
        }}
      >
        <label htmlFor={selectId} className="sr-only">
          Host to re-install
        </label>
        <select
          id={selectId}
          data-testid="reinstall-host"
          className={`${inputBase} h-7 min-w-0 flex-1 basis-48`}
          value={hostId}
          aria-invalid={allow.error ? true : undefined}
          aria-describedby={allow.error ? errorId : undefined}
          onChange={(e) => setHostId(e.target.value)}
        >
          <option value="">Choose a host…</option>
          {(hosts.data ?? [])
            .filter((h) => !granted.has(h.id))
            .map((h) => (
              <option key={h.id} value={h.id}>
                {h.name} ({h.hostname})
              </option>
            ))}
        </select>
        <button
          type="submit"
          data-testid="reinstall-allow"
          className={btn.secondary}
          disabled={!hostId || allow.isPending}
        >
          {allow.isPending ? 'Allowing…' : 'Allow re-install'}
        </button>
      </form>
      <div id={errorId}>
        <ErrorText error={allow.error ?? cancel.error} />
      </div>
      {grants.length > 0 && (
        <ul className="space-y-1" data-testid="reinstall-grants">
          {grants.map((g) => (
            <li key={g.hostId} className="flex flex-wrap items-center gap-2 text-xs text-zinc-700">
              <span className="flex-1">
                <span className="font-medium">{g.hostName}</span>
                {` may re-enroll until ${formatDateTime(g.until)}.`}
              </span>
              <button
                type="button"
                className={btn.ghost}
                disabled={cancel.isPending}
                onClick={() => cancel.mutate({ hostId: g.hostId })}
              >
                {cancel.isPending && cancel.variables?.hostId === g.hostId ? 'Withdrawing…' : 'Withdraw'}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
