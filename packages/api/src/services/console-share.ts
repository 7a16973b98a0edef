/**
 * View-only console share links (issue 10): someone who may operate a VM makes a link that shows
 * its VNC screen, without an account, until it expires or is revoked. The token is shown once and
 * kept hashed; revoking (on any manager) or expiry closes the views open through it within
 * seconds; the link dies with its VM. What the viewer may send is enforced by rfb-view-only.ts.
 */
import { type ConsoleShareLinkView, consoleShareLinks, users, vms } from '@vireo/db';
import { CONSOLE_CLOSE, VireoError } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { onControl, publishControl } from './bus.ts';
import { assertCan, can } from './permissions/can.ts';
import type { VmRecord } from './vm-access.ts';

export const SHARE_MIN_MINUTES = 15;
export const SHARE_MAX_MINUTES = 7 * 24 * 60;
/** The browser's page for a link; the token travels in the fragment, never in a request line. */
export const SHARE_PAGE_PATH = '/share/console';
export const SHARE_WS_PATH = '/ws/console-share';

export interface ShareLinkView {
  id: string;
  vmId: string;
  createdByName: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** As of the answer. */
  status: 'active' | 'expired' | 'revoked';
}

const withStatus = (l: ConsoleShareLinkView, now = Date.now()): ShareLinkView => ({
  id: l.id,
  vmId: l.vmId,
  createdByName: l.createdByName,
  createdAt: l.createdAt.toISOString(),
  expiresAt: l.expiresAt.toISOString(),
  lastUsedAt: l.lastUsedAt?.toISOString() ?? null,
  revokedAt: l.revokedAt?.toISOString() ?? null,
  status: l.revokedAt ? 'revoked' : l.expiresAt.getTime() <= now ? 'expired' : 'active',
});

/** The caller may operate the VM: the procedure's rule checked it (rule.vm('operate')). */
export async function createShareLink(
  user: UserView,
  vmId: string,
  minutes: number,
): Promise<{ token: string; pagePath: string; link: ShareLinkView }> {
  const expiresAt = new Date(Date.now() + minutes * 60_000);
  const { token, view } = await consoleShareLinks.create({ vmId, createdById: user.id, expiresAt });
  return { token, pagePath: `${SHARE_PAGE_PATH}#${token}`, link: withStatus(view) };
}

/** The caller may operate the VM: the procedure's rule checked it (rule.vm('operate')). */
export async function listShareLinks(vmId: string): Promise<ShareLinkView[]> {
  const now = Date.now();
  return (await consoleShareLinks.forVm(vmId)).map((l) => withStatus(l, now));
}

export async function revokeShareLink(user: UserView, linkId: string): Promise<ShareLinkView> {
  const link = await consoleShareLinks.byId(linkId);
  if (!link) throw new VireoError('NOT_FOUND', 'No such share link, or you have no access to it.', { object: 'vm' });
  await assertCan(user, 'operate', { kind: 'vm', id: link.vmId });
  await consoleShareLinks.revoke(linkId);
  publishControl({ type: 'console-share-revoked', linkId });
  return withStatus((await consoleShareLinks.byId(linkId)) ?? link);
}

export interface SharedView {
  link: ConsoleShareLinkView;
  vm: VmRecord;
}

/** The link and VM a token opens right now, or why not (said plainly: the viewer has no account to ask). */
export async function openShareLink(token: string): Promise<SharedView | { refusal: string }> {
  if (token.length === 0 || token.length > 128) return { refusal: 'link invalid' };
  const link = await consoleShareLinks.findValid(token);
  if (!link) return { refusal: 'link invalid, revoked or expired' };
  const vm = await vms.byId(link.vmId);
  if (!vm) return { refusal: 'link invalid, revoked or expired' };
  // A link lends its maker's access: it stops when the maker may no longer operate the VM
  // (a role removed, the VM moved to another project), not only when revoked.
  const maker = await users.byId(link.createdById);
  if (!maker || !(await can(maker, 'operate', { kind: 'vm', id: vm.id }))) {
    return { refusal: 'link invalid, revoked or expired' };
  }
  if (vm.state !== 'running' && vm.state !== 'paused') return { refusal: 'the VM is not running' };
  return { link, vm };
}

/** Views open on this manager, by link, so a revocation anywhere closes them here. */
const openViews = new Map<string, Set<(code: number, why: string) => void>>();

/**
 * Tracks a shared view: closed when its link is revoked (on any manager) or when it expires.
 * Returns the untrack function.
 */
export function trackSharedView(link: ConsoleShareLinkView, close: (code: number, why: string) => void): () => void {
  const set = openViews.get(link.id) ?? new Set();
  openViews.set(link.id, set);
  set.add(close);
  const untilExpiry = Math.max(0, link.expiresAt.getTime() - Date.now());
  // setTimeout's limit is 2^31-1 ms (~24.8 days); links last at most 7 days.
  const timer = setTimeout(() => close(CONSOLE_CLOSE.shareExpired, 'link expired'), untilExpiry);
  timer.unref();
  return () => {
    clearTimeout(timer);
    set.delete(close);
    if (set.size === 0) openViews.delete(link.id);
  };
}

onControl((message) => {
  if (message.type !== 'console-share-revoked') return;
  for (const close of openViews.get(message.linkId) ?? []) close(CONSOLE_CLOSE.shareRevoked, 'link revoked');
  openViews.delete(message.linkId);
});

/**
 * The public endpoint's throttle: at most LIMIT upgrade attempts per client address per window
 * (a token is 256 random bits, so this guards the database and the hosts, not the secret).
 */
const LIMIT = 30;
const WINDOW_MS = 60_000;
const attempts = new Map<string, { start: number; count: number }>();

export function shareAttemptAllowed(address: string, now = Date.now()): boolean {
  const a = attempts.get(address);
  if (!a || now - a.start >= WINDOW_MS) {
    if (attempts.size > 10_000) {
      for (const [k, v] of attempts) if (now - v.start >= WINDOW_MS) attempts.delete(k);
    }
    attempts.set(address, { start: now, count: 1 });
    return true;
  }
  a.count++;
  return a.count <= LIMIT;
}
