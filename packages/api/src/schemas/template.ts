import {
  diskBusSchema,
  diskFormatSchema,
  firmwareSchema,
  libvirtNameSchema,
  MAX_VM_DISKS,
  MAX_VM_NICS,
  memoryMiBSchema,
  nicModelSchema,
  UEFI_MIN_MEMORY_MIB,
  vcpusSchema,
} from '@vireo/protocol';
import { z } from 'zod';

/** One version of a disk template: its base volumes in boot order, NICs, firmware and sizes. */
export const templateVersionSpec = z
  .object({
    firmware: firmwareSchema.default('bios'),
    defaultVcpus: vcpusSchema.default(1),
    defaultMemoryMiB: memoryMiBSchema.default(128),
    note: z.string().max(500).default(''),
    disks: z
      .array(
        z.object({
          pool: libvirtNameSchema,
          volume: libvirtNameSchema,
          bus: diskBusSchema.default('virtio'),
          format: diskFormatSchema.default('qcow2'),
        }),
      )
      .min(1, 'A template has at least one disk.')
      .max(MAX_VM_DISKS),
    nics: z
      .array(z.object({ network: libvirtNameSchema, model: nicModelSchema.default('virtio') }))
      .max(MAX_VM_NICS)
      .default([]),
  })
  .superRefine((v, ctx) => {
    if (v.firmware === 'uefi' && v.defaultMemoryMiB < UEFI_MIN_MEMORY_MIB) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['defaultMemoryMiB'],
        message: `UEFI (OVMF) needs at least ${UEFI_MIN_MEMORY_MIB} MiB of memory.`,
      });
    }
  });
export type TemplateVersionSpec = z.output<typeof templateVersionSpec>;

export const createTemplateInput = z.object({
  name: libvirtNameSchema,
  description: z.string().max(500).default(''),
  version: templateVersionSpec,
});

export const publishVersionInput = z.object({
  templateId: z.string().min(1).max(64),
  version: templateVersionSpec,
});
