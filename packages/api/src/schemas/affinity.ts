import { z } from 'zod';

const id = z.string().min(1).max(64);

export const affinityGroupInput = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Give the group a name.')
    .max(64, 'At most 64 characters.')
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'Letters, digits, ".", "_" and "-", starting with a letter or digit.'),
  kind: z.enum(['affinity', 'anti-affinity']),
  /** Hard: hosts that break the rule are excluded; soft: only scored lower. */
  hard: z.boolean().default(true),
});

export const affinityMembersInput = z.object({
  groupId: id,
  vmIds: z.array(id).min(1).max(500),
});

export const groupIdInput = z.object({ groupId: id });

export const affinityHostsInput = z.object({
  groupId: id,
  /** The hosts members go to (affinity) or keep off (anti-affinity); empty: no host rule. */
  hostIds: z.array(id).max(1000),
});
