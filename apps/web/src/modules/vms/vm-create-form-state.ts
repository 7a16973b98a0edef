/**
 * The create-VM form's values and their validation, with the very zod schemas the API uses, so
 * the browser says the same thing the server would, before the round trip.
 */
import type { CreateVmInput } from '@vireo/api';
import {
  DISK_BYTES_MAX,
  libvirtNameSchema,
  memoryMiBSchema,
  UEFI_MIN_MEMORY_MIB,
  vcpusSchema,
  vmNameSchema,
} from '@vireo/protocol';
import type { z } from 'zod';

export type DiskBusChoice = 'virtio' | 'sata' | 'scsi';
export type NicModelChoice = 'virtio' | 'e1000';

export interface CreateVmDraft {
  name: string;
  templateId: string;
  /** A disk template's version; '' is its latest. */
  templateVersionId: string;
  /** A disk template's disks as linked clones (default) or full copies. */
  diskMode: 'linked' | 'full';
  vcpus: string;
  memoryMiB: string;
  start: boolean;
  firmware: 'bios' | 'uefi';
  /** One extra blank disk in the `default` pool, when on. */
  extraDisk: boolean;
  diskSizeGiB: string;
  diskBus: DiskBusChoice;
  /** One network card, when on. */
  extraNic: boolean;
  nicNetwork: string;
  nicModel: NicModelChoice;
}

export const HARDWARE_DEFAULTS = {
  firmware: 'bios',
  extraDisk: false,
  diskSizeGiB: '1',
  diskBus: 'virtio',
  extraNic: false,
  nicNetwork: 'default',
  nicModel: 'virtio',
} as const satisfies Partial<CreateVmDraft>;

/** Field keys match the API's input names (and the server's "field: message" errors). */
export type CreateVmField = 'name' | 'templateId' | 'vcpus' | 'memoryMiB' | 'diskSizeGiB' | 'nicNetwork';

const GIB = 1024 ** 3;

function diskSizeIssue(raw: string): string | undefined {
  if (raw.trim() === '') return 'Size is required.';
  const gib = Number(raw);
  if (!Number.isFinite(gib)) return 'Size must be a number.';
  if (gib * GIB < 1024 ** 2) return 'A disk must be at least 1 MiB.';
  if (gib * GIB > DISK_BYTES_MAX) return 'A disk must be at most 64 TiB.';
  return undefined;
}
export type FieldErrors = Partial<Record<CreateVmField, string>>;

/** The first message a schema gives for a value, or undefined when it passes. */
export function firstIssue(schema: z.ZodType, value: unknown): string | undefined {
  const result = schema.safeParse(value);
  return result.success ? undefined : result.error.issues[0]?.message;
}

function numberIssue(schema: z.ZodType, raw: string, label: string): string | undefined {
  if (raw.trim() === '') return `${label} is required.`;
  const value = Number(raw);
  if (!Number.isFinite(value)) return `${label} must be a number.`;
  return firstIssue(schema, value);
}

export function validateDraft(draft: CreateVmDraft): FieldErrors {
  const errors: FieldErrors = {
    name: firstIssue(vmNameSchema, draft.name),
    templateId: draft.templateId ? undefined : 'Choose a template.',
    vcpus: numberIssue(vcpusSchema, draft.vcpus, 'vCPUs'),
    memoryMiB:
      numberIssue(memoryMiBSchema, draft.memoryMiB, 'Memory') ??
      (draft.firmware === 'uefi' && Number(draft.memoryMiB) < UEFI_MIN_MEMORY_MIB
        ? `UEFI (OVMF) needs at least ${UEFI_MIN_MEMORY_MIB} MiB of memory.`
        : undefined),
    diskSizeGiB: draft.extraDisk ? diskSizeIssue(draft.diskSizeGiB) : undefined,
    nicNetwork: draft.extraNic ? firstIssue(libvirtNameSchema, draft.nicNetwork.trim()) : undefined,
  };
  for (const key of Object.keys(errors) as CreateVmField[]) if (!errors[key]) delete errors[key];
  return errors;
}

export function toInput(draft: CreateVmDraft): CreateVmInput {
  return {
    name: draft.name.trim(),
    templateId: draft.templateId,
    ...(draft.templateVersionId ? { templateVersionId: draft.templateVersionId } : {}),
    diskMode: draft.diskMode,
    vcpus: Number(draft.vcpus),
    memoryMiB: Number(draft.memoryMiB),
    start: draft.start,
    firmware: draft.firmware,
    disks: draft.extraDisk
      ? [
          {
            device: 'disk',
            bus: draft.diskBus,
            format: 'qcow2',
            readOnly: false,
            pool: 'default',
            source: { kind: 'blank', sizeBytes: Math.round(Number(draft.diskSizeGiB) * GIB) },
          },
        ]
      : [],
    nics: draft.extraNic ? [{ network: draft.nicNetwork.trim(), model: draft.nicModel }] : [],
  };
}
