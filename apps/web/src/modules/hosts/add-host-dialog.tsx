'use client';

import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn } from '../ui/buttons';
import { CopyField } from '../ui/copy-field';
import { Dialog } from '../ui/dialog';
import { ErrorText } from '../ui/error-text';
import { formatDateTime } from '../ui/format';
import { PlusIcon } from '../ui/icons';

/** Where a new host's agent keeps VM disks; the lab hosts use the same path. */
const STORAGE_DIR = '/var/lib/libvirt/images/vireo';

export function agentCommand(origin: string, token: string): string {
  // Tokens are base64url, so they need no shell quoting.
  return `VIREO_MANAGER_URL=${origin} VIREO_ENROLLMENT_TOKEN=${token} VIREO_VM_STORAGE_DIR=${STORAGE_DIR} node --import tsx apps/agent/src/main.ts`;
}

/** "Add host": mints a one-time enrollment token and shows how to start an agent with it. */
export function AddHostButton() {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const token = useMutation(trpc.host.createEnrollmentToken.mutationOptions());

  const start = () => {
    setOpen(true);
    token.mutate();
  };

  return (
    <>
      <button type="button" data-testid="host-add" className={btn.primary} onClick={start}>
        <PlusIcon />
        Add host
      </button>
      {open && (
        <Dialog
          title="Add a host"
          width="max-w-2xl"
          testId="host-add-dialog"
          onClose={() => setOpen(false)}
          footer={
            <button type="button" className={btn.secondary} onClick={() => setOpen(false)}>
              Close
            </button>
          }
        >
          {token.isPending && <p>Creating an enrollment token…</p>}
          {token.error && (
            <div className="space-y-2">
              <ErrorText error={token.error} />
              <button type="button" className={btn.secondary} onClick={() => token.mutate()}>
                Try again
              </button>
            </div>
          )}
          {token.data && <EnrollmentSteps token={token.data.token} expiresAt={token.data.expiresAt} />}
        </Dialog>
      )}
    </>
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
        The token is single-use and valid for 24 h (until{' '}
        <span className="font-medium tabular-nums">{formatDateTime(expiresAt)}</span>). The host appears in this list
        once its agent has enrolled.
      </p>
    </div>
  );
}
