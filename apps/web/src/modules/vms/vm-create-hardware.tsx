'use client';

import type { ReactNode } from 'react';
import { inputClass } from '../ui/buttons';
import type { CreateVmDraft, CreateVmField, DiskBusChoice, NicModelChoice } from './vm-create-form-state';

/** Firmware, one extra disk and one network card: the hardware part of the create form. */
export function VmCreateHardware({
  draft,
  set,
  shown,
  blur,
  firmwareFromTemplate = false,
}: {
  /** A disk template's version decides the firmware (its disk boots one way only). */
  firmwareFromTemplate?: boolean;
  draft: CreateVmDraft;
  set: (patch: Partial<CreateVmDraft>) => void;
  shown: (field: CreateVmField) => string | undefined;
  blur: (field: CreateVmField) => () => void;
}) {
  return (
    <fieldset className="space-y-3 rounded-md border border-zinc-200 p-3" data-testid="vm-hardware-fields">
      <legend className="px-1 text-xs font-medium text-zinc-700">Hardware</legend>
      <Labelled label="Firmware" id="vm-firmware">
        <select
          id="vm-firmware"
          data-testid="vm-firmware"
          className={inputClass}
          disabled={firmwareFromTemplate}
          title={firmwareFromTemplate ? 'Set by the template version' : undefined}
          value={draft.firmware}
          onChange={(e) => set({ firmware: e.target.value === 'uefi' ? 'uefi' : 'bios' })}
        >
          <option value="bios">BIOS</option>
          <option value="uefi">UEFI (OVMF)</option>
        </select>
      </Labelled>

      <label className="flex items-center gap-2 text-sm text-zinc-800">
        <input
          data-testid="vm-extra-disk"
          type="checkbox"
          className="size-4 accent-teal-700"
          checked={draft.extraDisk}
          onChange={(e) => set({ extraDisk: e.target.checked })}
        />
        Add a blank disk (pool <span className="font-mono">default</span>)
      </label>
      {draft.extraDisk && (
        <div className="grid grid-cols-2 gap-4 pl-6">
          <Labelled label="Size (GiB)" id="vm-diskSizeGiB" error={shown('diskSizeGiB')}>
            <input
              id="vm-diskSizeGiB"
              data-testid="vm-disk-size"
              type="number"
              inputMode="decimal"
              min={0.001}
              step="any"
              className={`${inputClass} tabular-nums`}
              aria-invalid={Boolean(shown('diskSizeGiB'))}
              value={draft.diskSizeGiB}
              onChange={(e) => set({ diskSizeGiB: e.target.value })}
              onBlur={blur('diskSizeGiB')}
            />
          </Labelled>
          <Labelled label="Bus" id="vm-diskBus">
            <select
              id="vm-diskBus"
              data-testid="vm-disk-bus"
              className={inputClass}
              value={draft.diskBus}
              onChange={(e) => set({ diskBus: e.target.value as DiskBusChoice })}
            >
              <option value="virtio">virtio</option>
              <option value="sata">SATA</option>
              <option value="scsi">SCSI (virtio-scsi)</option>
            </select>
          </Labelled>
        </div>
      )}

      <label className="flex items-center gap-2 text-sm text-zinc-800">
        <input
          data-testid="vm-extra-nic"
          type="checkbox"
          className="size-4 accent-teal-700"
          checked={draft.extraNic}
          onChange={(e) => set({ extraNic: e.target.checked })}
        />
        Add a network card (Vireo chooses its MAC)
      </label>
      {draft.extraNic && (
        <div className="grid grid-cols-2 gap-4 pl-6">
          <Labelled label="Network" id="vm-nicNetwork" error={shown('nicNetwork')}>
            <input
              id="vm-nicNetwork"
              data-testid="vm-nic-network"
              className={`${inputClass} font-mono`}
              autoComplete="off"
              spellCheck={false}
              aria-invalid={Boolean(shown('nicNetwork'))}
              value={draft.nicNetwork}
              onChange={(e) => set({ nicNetwork: e.target.value })}
              onBlur={blur('nicNetwork')}
            />
          </Labelled>
          <Labelled label="Model" id="vm-nicModel">
            <select
              id="vm-nicModel"
              data-testid="vm-nic-model"
              className={inputClass}
              value={draft.nicModel}
              onChange={(e) => set({ nicModel: e.target.value as NicModelChoice })}
            >
              <option value="virtio">virtio</option>
              <option value="e1000">e1000</option>
            </select>
          </Labelled>
        </div>
      )}
    </fieldset>
  );
}

function Labelled({
  label,
  id,
  error,
  children,
}: {
  label: string;
  id: string;
  error?: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-xs font-medium text-zinc-700">
        {label}
      </label>
      {children}
      {error && (
        <p data-testid={`field-error-${id.slice(3)}`} className="text-xs text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}
