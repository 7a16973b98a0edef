/**
 * The create-VM form's values and their validation, with the very zod schemas the API uses, so
 * the browser says the same thing the server would, before the round trip.
 */
import type { CreateVmInput } from '@vireo/api';
import { memoryMiBSchema, vcpusSchema, vmNameSchema } from '@vireo/protocol';
import type { z } from 'zod';

export interface CreateVmDraft {
  name: string;
  templateId: string;
  vcpus: string;
  memoryMiB: string;
  start: boolean;
}

/** Field keys match the API's input names (and the server's "field: message" errors). */
export type CreateVmField = 'name' | 'templateId' | 'vcpus' | 'memoryMiB';
export type FieldErrors = Partial<Record<CreateVmField, string>>;

function firstIssue(schema: z.ZodType, value: unknown): string | undefined {
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
    memoryMiB: numberIssue(memoryMiBSchema, draft.memoryMiB, 'Memory'),
  };
  for (const key of Object.keys(errors) as CreateVmField[]) if (!errors[key]) delete errors[key];
  return errors;
}

export function toInput(draft: CreateVmDraft): CreateVmInput {
  return {
    name: draft.name.trim(),
    templateId: draft.templateId,
    vcpus: Number(draft.vcpus),
    memoryMiB: Number(draft.memoryMiB),
    start: draft.start,
  };
}
