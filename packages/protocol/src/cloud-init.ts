import { z } from 'zod';

/**
 * A NoCloud seed for a VM: what the manager asks for and the agent turns into a `cidata` ISO
 * (apps/agent/src/cloud-init.ts). Everything here ends up in files cloud-init parses as YAML
 * inside the guest, so each value is held to a narrow alphabet and size here, at the edge; the
 * builder still never pastes a value into YAML text (it writes JSON, which is valid YAML).
 */

/** user-data at most 64 KiB (UTF-8): a seed ISO is read whole by the guest at boot. */
export const CLOUD_INIT_USER_DATA_MAX = 64 * 1024;
export const CLOUD_INIT_SSH_KEYS_MAX = 32;

/** RFC 1123 label: letters, digits and inner dashes, 1–63 characters (no dots, no spaces). */
export const hostnameLabelSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/,
    'Hostname must be 1–63 letters, digits or inner dashes (an RFC 1123 label).',
  );

/** A POSIX-style login name, as useradd accepts by default. */
export const cloudInitUserNameSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'User name must be lowercase letters, digits, "_" or "-" (at most 32).');

/** One OpenSSH public key line: type, base64 blob, optional printable comment; one line only. */
export const sshAuthorizedKeySchema = z
  .string()
  .max(16 * 1024, 'SSH key is too long.')
  .regex(
    /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [\x20-\x7e]{1,256})?$/,
    'SSH key must be one OpenSSH public key line ("ssh-ed25519 AAAA... comment").',
  );

const utf8Length = (s: string) => new TextEncoder().encode(s).length;

export const cloudInitSeedSchema = z
  .object({
    hostname: hostnameLabelSchema,
    /** Changes when the seed should be applied again; the builder derives one if absent. */
    instanceId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'Instance id must be 1–64 letters, digits, ".", "_" or "-".')
      .optional(),
    user: z
      .object({
        name: cloudInitUserNameSchema,
        sshAuthorizedKeys: z.array(sshAuthorizedKeySchema).max(CLOUD_INIT_SSH_KEYS_MAX).default([]),
      })
      .strict()
      .optional(),
    /** A "#!" script or a "#cloud-config" document, passed to the guest as is. */
    userData: z
      .string()
      .refine((s) => utf8Length(s) <= CLOUD_INIT_USER_DATA_MAX, {
        message: `User data must be at most ${CLOUD_INIT_USER_DATA_MAX / 1024} KiB.`,
      })
      .refine((s) => s.startsWith('#!') || /^#cloud-config[ \t]*\r?\n/.test(s), {
        message: 'User data must start with "#!" (a script) or "#cloud-config".',
      })
      .optional(),
  })
  .strict();

export type CloudInitSeed = z.infer<typeof cloudInitSeedSchema>;
export type CloudInitSeedInput = z.input<typeof cloudInitSeedSchema>;
