/** Audit search and export filters as the API takes them (strings from forms and URLs). */
import { type AuditFilter, type AuditRecord, audit } from '@vireo/db';
import { z } from 'zod';

export const auditFilterInput = z.object({
  username: z.string().trim().max(128).optional(),
  actionPrefix: z.string().trim().max(128).optional(),
  object: z.string().trim().max(256).optional(),
  result: z.enum(['ok', 'failed']).optional(),
  from: z.string().datetime({ offset: true }).optional(),
  to: z.string().datetime({ offset: true }).optional(),
});
export type AuditFilterInput = z.infer<typeof auditFilterInput>;

export interface AuditEntryView extends Omit<AuditRecord, 'at'> {
  at: string;
}

export function toFilter(f: AuditFilterInput): AuditFilter {
  return {
    username: f.username || undefined,
    actionPrefix: f.actionPrefix || undefined,
    object: f.object || undefined,
    ok: f.result === undefined ? undefined : f.result === 'ok',
    from: f.from ? new Date(f.from) : undefined,
    to: f.to ? new Date(f.to) : undefined,
  };
}

export async function searchAudit(
  input: AuditFilterInput & { limit: number; before?: { at: string; id: string } },
): Promise<{ entries: AuditEntryView[]; next: { at: string; id: string } | null }> {
  const page = await audit.search(toFilter(input), {
    limit: input.limit,
    before: input.before && { at: new Date(input.before.at), id: input.before.id },
  });
  return {
    entries: page.entries.map((e) => ({ ...e, at: e.at.toISOString() })),
    next: page.next && { at: page.next.at.toISOString(), id: page.next.id },
  };
}
