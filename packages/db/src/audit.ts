// The audit log: one row per state-changing request (who, what, object, from where, when,
// result). Append-only by construction: this module exports insert, search and export, and no
// code in Vireo updates or deletes an AuditEntry. Retention (pruning old rows, by a job an
// operator runs outside Vireo's API) is not built yet.
import { getDb } from './client.ts';
import type { Prisma } from './generated/client.ts';

export type AuthKind = 'session' | 'token';

export interface AuditInput {
  userId: string | null;
  username: string | null;
  authKind: AuthKind | null;
  tokenId: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  objectName: string | null;
  address: string;
  ok: boolean;
  errorCode: string | null;
  message: string | null;
  durationMs: number;
  /** JSON, already redacted and capped by the caller. */
  input: string | null;
}

export interface AuditRecord extends AuditInput {
  id: string;
  at: Date;
}

export interface AuditFilter {
  /** Exact username (the attempted one for failed logins). */
  username?: string;
  /** "vm." finds every VM action; "vm.start" the one. */
  actionPrefix?: string;
  /** An object's id or exact name. */
  object?: string;
  ok?: boolean;
  from?: Date;
  to?: Date;
}

/** Newest first; `before` is the last row of the previous page. */
export interface AuditCursor {
  at: Date;
  id: string;
}

export const MAX_PAGE = 200;
/** An export stops here; the caller says so in the file. */
export const MAX_EXPORT = 100_000;

const LIMITS = { action: 128, objectType: 32, objectId: 128, objectName: 256, message: 1000, username: 128 };

const cut = (s: string | null, n: number) => (s == null ? null : s.length > n ? `${s.slice(0, n - 1)}…` : s);

export async function insert(entry: AuditInput): Promise<void> {
  await getDb().auditEntry.create({
    data: {
      ...entry,
      action: cut(entry.action, LIMITS.action) ?? '',
      username: cut(entry.username, LIMITS.username),
      objectType: cut(entry.objectType, LIMITS.objectType),
      objectId: cut(entry.objectId, LIMITS.objectId),
      objectName: cut(entry.objectName, LIMITS.objectName),
      message: cut(entry.message, LIMITS.message),
      durationMs: Math.max(0, Math.round(entry.durationMs)),
    },
    select: { id: true },
  });
}

function where(f: AuditFilter, before?: AuditCursor): Prisma.AuditEntryWhereInput {
  const and: Prisma.AuditEntryWhereInput[] = [];
  if (f.username) and.push({ username: f.username });
  if (f.actionPrefix) and.push({ action: { startsWith: f.actionPrefix } });
  if (f.object) and.push({ OR: [{ objectId: f.object }, { objectName: f.object }] });
  if (f.ok !== undefined) and.push({ ok: f.ok });
  if (f.from) and.push({ at: { gte: f.from } });
  if (f.to) and.push({ at: { lt: f.to } });
  if (before) and.push({ OR: [{ at: { lt: before.at } }, { at: before.at, id: { lt: before.id } }] });
  return { AND: and };
}

const order: Prisma.AuditEntryOrderByWithRelationInput[] = [{ at: 'desc' }, { id: 'desc' }];

function toRecord(row: Prisma.AuditEntryGetPayload<object>): AuditRecord {
  return { ...row, authKind: row.authKind as AuthKind | null };
}

/** One page, newest first, and the cursor of the next page (null on the last). */
export async function search(
  filter: AuditFilter,
  opts: { limit?: number; before?: AuditCursor } = {},
): Promise<{ entries: AuditRecord[]; next: AuditCursor | null }> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), MAX_PAGE);
  const rows = await getDb().auditEntry.findMany({
    where: where(filter, opts.before),
    orderBy: order,
    take: limit + 1,
  });
  const entries = rows.slice(0, limit).map(toRecord);
  const last = entries.at(-1);
  return { entries, next: rows.length > limit && last ? { at: last.at, id: last.id } : null };
}

/** Every matching row, newest first, in batches (for a streamed export), at most MAX_EXPORT. */
export async function* exportRows(filter: AuditFilter, max = MAX_EXPORT): AsyncGenerator<AuditRecord[]> {
  let before: AuditCursor | undefined;
  let sent = 0;
  while (sent < max) {
    const page = await search(filter, { limit: Math.min(MAX_PAGE, max - sent), before });
    if (page.entries.length) yield page.entries;
    sent += page.entries.length;
    if (!page.next) return;
    before = page.next;
  }
}
