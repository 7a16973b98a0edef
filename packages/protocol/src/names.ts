import { z } from 'zod';

/**
 * A VM name becomes a libvirt domain name, a file name and text in the UI, so it is held to a
 * conservative alphabet: letters, digits, dot, dash, underscore; starts with a letter or digit.
 * This rules out XML/HTML metacharacters and path separators at the edge.
 */
export const VM_NAME_MAX = 63;
export const vmNameSchema = z
  .string()
  .trim()
  .min(1, 'Name is required.')
  .max(VM_NAME_MAX, `Name must be at most ${VM_NAME_MAX} characters.`)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'Name may contain only letters, digits, ".", "-" and "_", and must start with a letter or digit.',
  );

export const VCPUS_MIN = 1;
export const VCPUS_MAX = 64;
export const MEMORY_MIB_MIN = 64;
export const MEMORY_MIB_MAX = 1024 * 1024;

export const vcpusSchema = z
  .number()
  .int('vCPUs must be a whole number.')
  .min(VCPUS_MIN, `vCPUs must be at least ${VCPUS_MIN}.`)
  .max(VCPUS_MAX, `vCPUs must be at most ${VCPUS_MAX}.`);

export const memoryMiBSchema = z
  .number()
  .int('Memory must be a whole number of MiB.')
  .min(MEMORY_MIB_MIN, `Memory must be at least ${MEMORY_MIB_MIN} MiB.`)
  .max(MEMORY_MIB_MAX, `Memory must be at most ${MEMORY_MIB_MAX} MiB.`);

export const uuidSchema = z.string().uuid();
