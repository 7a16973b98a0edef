// View-only console share links (issue 10). Like API tokens, the token is random, shown once at
// creation, and only its SHA-256 is stored. A link works while it is not revoked, not expired,
// its VM exists (the row cascades away with the VM) and its maker is not disabled.
import { generateToken, hashToken } from './tokens.ts';
import { getDb } from './client.ts';

export interface ConsoleShareLinkView {
  id: string;
  vmId: string;
  createdById: string;
  createdByName: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const select = {
  id: true,
  vmId: true,
  createdById: true,
  createdAt: true,
  expiresAt: true,
  lastUsedAt: true,
  revokedAt: true,
  createdBy: { select: { username: true } },
} as const;

type Row = Omit<ConsoleShareLinkView, 'createdByName'> & { createdBy: { username: string } };

const toView = ({ createdBy, ...row }: Row): ConsoleShareLinkView => ({ ...row, createdByName: createdBy.username });

/** Returns the raw token (shown once) and the stored view. */
export async function create(input: {
  vmId: string;
  createdById: string;
  expiresAt: Date;
}): Promise<{ token: string; view: ConsoleShareLinkView }> {
  const token = generateToken();
  const row = await getDb().consoleShareLink.create({ data: { tokenHash: hashToken(token), ...input }, select });
  return { token, view: toView(row) };
}

/** A VM's links, newest first, revoked and expired ones included (the list says which). */
export async function forVm(vmId: string): Promise<ConsoleShareLinkView[]> {
  const rows = await getDb().consoleShareLink.findMany({
    where: { vmId },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    select,
  });
  return rows.map(toView);
}

export async function byId(id: string): Promise<ConsoleShareLinkView | null> {
  const row = await getDb().consoleShareLink.findUnique({ where: { id }, select });
  return row && toView(row);
}

/** The link a token opens, or null when unknown, revoked, expired or its maker is disabled. Stamps lastUsedAt. */
export async function findValid(token: string, now = new Date()): Promise<ConsoleShareLinkView | null> {
  const row = await getDb().consoleShareLink.findFirst({
    where: { tokenHash: hashToken(token), revokedAt: null, expiresAt: { gt: now }, createdBy: { disabledAt: null } },
    select,
  });
  if (!row) return null;
  await getDb().consoleShareLink.updateMany({ where: { id: row.id }, data: { lastUsedAt: now } });
  return toView({ ...row, lastUsedAt: now });
}

/** Revokes the link (kept, listed as revoked); false if it was unknown or already revoked. */
export async function revoke(id: string, now = new Date()): Promise<boolean> {
  const { count } = await getDb().consoleShareLink.updateMany({
    where: { id, revokedAt: null },
    data: { revokedAt: now },
  });
  return count === 1;
}
