'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';

type Hardware = RouterOutputs['vm']['hardware'];
type Entry = Hardware['bootOrder'][number];

/** UEFI_MIN_MEMORY_MIB of @vireo/protocol (the web app does not import it); the server checks. */
const UEFI_MIN_MEMORY_MIB = 256;

const key = (e: Entry) => `${e.kind}-${e.position}`;

/** A device's name as the Hardware tab shows it. */
export function bootLabel(hw: Pick<Hardware, 'disks' | 'nics'>, e: Entry): string {
  if (e.kind === 'nic') return `NIC ${e.position + 1} (network boot)`;
  const d = hw.disks.find((x) => x.position === e.position);
  return d?.device === 'cdrom' ? `CD-ROM ${e.position + 1}` : `Disk ${e.position + 1}`;
}

/** What boots when nobody chose: libvirt's `<boot dev='hd'/><boot dev='cdrom'/>` as create writes it. */
export function effectiveBootOrder(hw: Pick<Hardware, 'disks' | 'bootOrder'>): Entry[] {
  if (hw.bootOrder.length > 0) return hw.bootOrder;
  const disk = hw.disks.find((d) => d.device === 'disk');
  const cdrom = hw.disks.find((d) => d.device === 'cdrom');
  return [disk, cdrom].flatMap((d) => (d ? [{ kind: 'disk' as const, position: d.position }] : []));
}

/**
 * Firmware and boot order in the Edit dialog: every disk, CD-ROM and NIC, ticked to boot from and
 * moved up or down. Applied by its own button (a VM task of its own), only while the VM is off.
 */
export function VmBootEditor({
  vmId,
  stopped,
  memoryMiB,
  onStarted,
}: {
  vmId: string;
  stopped: boolean;
  memoryMiB: number;
  onStarted: (taskId: string) => void;
}) {
  const trpc = useTRPC();
  const hw = useQuery({ ...trpc.vm.hardware.queryOptions({ vmId }), staleTime: 0 });
  if (!stopped) {
    return (
      <p className="text-xs text-zinc-500" data-testid="vm-boot-stopped-only">
        Firmware and boot order: stop the VM first to change them.
      </p>
    );
  }
  if (hw.error) return <ErrorText error={hw.error} />;
  if (!hw.data) return <p className="text-xs text-zinc-500">Reading the VM’s devices…</p>;
  return <BootForm vmId={vmId} hw={hw.data} memoryMiB={memoryMiB} onStarted={onStarted} />;
}

function BootForm({
  vmId,
  hw,
  memoryMiB,
  onStarted,
}: {
  vmId: string;
  hw: Hardware;
  memoryMiB: number;
  onStarted: (taskId: string) => void;
}) {
  const trpc = useTRPC();
  const [firmware, setFirmware] = useState(hw.firmware);
  const chosen = effectiveBootOrder(hw);
  const all: Entry[] = [
    ...hw.disks.map((d) => ({ kind: 'disk' as const, position: d.position })),
    ...hw.nics.map((n) => ({ kind: 'nic' as const, position: n.position })),
  ];
  // Chosen devices first, in their order, then the others.
  const [rows, setRows] = useState(() =>
    [...chosen, ...all.filter((e) => !chosen.some((c) => key(c) === key(e)))].map((e) => ({
      ...e,
      on: chosen.some((c) => key(c) === key(e)),
    })),
  );
  const save = useMutation(trpc.vm.editBoot.mutationOptions({ onSuccess: ({ taskId }) => onStarted(taskId) }));
  const move = (i: number, by: number) => {
    const next = [...rows];
    const [row] = next.splice(i, 1);
    if (row) next.splice(i + by, 0, row);
    setRows(next);
  };
  const uefiTooSmall = firmware === 'uefi' && memoryMiB < UEFI_MIN_MEMORY_MIB;
  return (
    <fieldset className="space-y-2 rounded-md border border-zinc-200 p-2" data-testid="vm-boot-editor">
      <legend className="px-1 text-xs text-zinc-600">Firmware and boot order</legend>
      <div className="flex gap-4 text-sm">
        {(['bios', 'uefi'] as const).map((f) => (
          <label key={f} className="flex items-center gap-1.5">
            <input
              type="radio"
              name={`firmware-${vmId}`}
              data-testid={`vm-boot-firmware-${f}`}
              checked={firmware === f}
              onChange={() => setFirmware(f)}
            />
            {f === 'uefi' ? 'UEFI (OVMF)' : 'BIOS'}
          </label>
        ))}
      </div>
      {uefiTooSmall && (
        <p className="text-xs text-amber-700">
          UEFI needs at least {UEFI_MIN_MEMORY_MIB} MiB of memory: save more memory first.
        </p>
      )}
      <ol className="space-y-1" data-testid="vm-boot-list">
        {rows.map((r, i) => (
          <li key={key(r)} className="flex items-center gap-2 text-sm" data-testid="vm-boot-item">
            <input
              type="checkbox"
              aria-label={`Boot from ${bootLabel(hw, r)}`}
              data-testid={`vm-boot-on-${key(r)}`}
              checked={r.on}
              onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, on: e.target.checked } : x)))}
            />
            <span className="flex-1">{bootLabel(hw, r)}</span>
            <button
              type="button"
              className={btn.ghost}
              aria-label={`Move ${bootLabel(hw, r)} up`}
              data-testid={`vm-boot-up-${key(r)}`}
              disabled={i === 0}
              onClick={() => move(i, -1)}
            >
              ↑
            </button>
            <button
              type="button"
              className={btn.ghost}
              aria-label={`Move ${bootLabel(hw, r)} down`}
              disabled={i === rows.length - 1}
              onClick={() => move(i, 1)}
            >
              ↓
            </button>
          </li>
        ))}
      </ol>
      <div className="flex items-center justify-between gap-2">
        <span className="text-xs text-zinc-500">Ticked devices boot in this order, top first.</span>
        <button
          type="button"
          className={btn.secondary}
          data-testid="vm-boot-save"
          disabled={save.isPending || !rows.some((r) => r.on) || uefiTooSmall}
          onClick={() =>
            save.mutate({
              vmId,
              firmware,
              order: rows.filter((r) => r.on).map(({ kind, position }) => ({ kind, position })),
            })
          }
        >
          Apply firmware and boot order
        </button>
      </div>
      {save.error && <ErrorText error={save.error} />}
    </fieldset>
  );
}
