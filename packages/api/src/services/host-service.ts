import { clusters, enrollment, events, hostRemoval, hosts } from '@vireo/db';
import { type EnrollRequest, type EnrollResponse, VireoError } from '@vireo/protocol';
import type { PermissionUser } from './permissions/can.ts';
import { infraVisibility } from './permissions/visibility.ts';
import { managerEnv } from '../env.ts';
import type { HostView } from '../views.ts';
import { connections } from './agent-registry.ts';
import { forgetHostStorage } from './storage-reconcile.ts';
import { forgetClaimsOf } from './vm-reconcile.ts';
import { newCredential } from './host-credentials.ts';
import { publish } from './bus.ts';
import { publishHost, publishVm, toHostView } from './views.ts';

/** Token lifetime, and how long an admin's re-install grant stays open. */
export function enrollmentTtlMs(): number {
  return managerEnv().VIREO_ENROLLMENT_TOKEN_TTL_H * 3600_000;
}

export type EnrollmentTokenStatus = 'valid' | 'used' | 'expired' | 'revoked';

/** A token as listed: never its secret. */
export interface EnrollmentTokenView {
  id: string;
  clusterName: string;
  createdAt: string;
  createdByName: string | null;
  expiresAt: string;
  usedAt: string | null;
  revokedAt: string | null;
  hostName: string | null;
  status: EnrollmentTokenStatus;
}

export interface ReinstallGrantView {
  hostId: string;
  hostName: string;
  until: string;
}

/** The hosts the user may see: all, or those under its host/cluster/datacenter roles. */
export async function listHosts(user: PermissionUser): Promise<HostView[]> {
  return (await hosts.list({ visibleTo: await infraVisibility(user) })).map(toHostView);
}

export async function createEnrollmentToken(
  createdById: string | null,
): Promise<{ id: string; token: string; expiresAt: string }> {
  const cluster = await clusters.ensure('Default', 'Default');
  const { id, token, expiresAt } = await enrollment.create(cluster.id, enrollmentTtlMs(), createdById);
  return { id, token, expiresAt: expiresAt.toISOString() };
}

/** Recent tokens (newest first) and the hosts an admin currently allows to re-enroll. */
export async function listEnrollment(): Promise<{
  tokens: EnrollmentTokenView[];
  reinstalls: ReinstallGrantView[];
  ttlHours: number;
}> {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  const tokens = (await enrollment.list()).map((t) => ({
    ...t,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt.toISOString(),
    usedAt: iso(t.usedAt),
    revokedAt: iso(t.revokedAt),
  }));
  const reinstalls = (await enrollment.pendingReinstalls()).map((r) => ({ ...r, until: r.until.toISOString() }));
  return { tokens, reinstalls, ttlHours: managerEnv().VIREO_ENROLLMENT_TOKEN_TTL_H };
}

export async function revokeEnrollmentToken(tokenId: string): Promise<void> {
  if (!(await enrollment.revoke(tokenId)))
    throw new VireoError('NOT_FOUND', 'No unused enrollment token with this id (it may have been used already).', {
      object: 'enrollmentToken',
    });
}

async function hostOrThrow(hostId: string) {
  const host = await hosts.byId(hostId);
  if (!host) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  return host;
}

/**
 * An admin allows the host to be re-installed: for a limited time, an enrollment token may
 * re-enroll its libvirt host UUID, replacing its credential. Recorded as an event.
 */
export async function allowReinstall(
  hostId: string,
  actor: { id: string; username: string },
): Promise<{ until: string }> {
  const host = await hostOrThrow(hostId);
  const until = new Date(Date.now() + enrollmentTtlMs());
  await enrollment.setReinstallAllowed(host.id, until);
  await events.add({
    severity: 'warning',
    kind: 'host.reinstall-allowed',
    message: `${actor.username} allowed host ${host.name} to be re-installed (re-enrolled with a new credential) until ${until.toISOString()}.`,
    hostId: host.id,
    userId: actor.id,
  });
  return { until: until.toISOString() };
}

export async function cancelReinstall(hostId: string, actor: { id: string; username: string }): Promise<void> {
  const host = await hostOrThrow(hostId);
  await enrollment.setReinstallAllowed(host.id, null);
  await events.add({
    severity: 'info',
    kind: 'host.reinstall-cancelled',
    message: `${actor.username} withdrew the re-install grant of host ${host.name}.`,
    hostId: host.id,
    userId: actor.id,
  });
}

/** What `force` does, in the words the confirmation and the event use. */
export const FORCE_REMOVAL_EFFECT =
  'Their records stay in Vireo without a host, in state unknown; their domains and disks on the machine are not touched (not stopped, not deleted). Adopt them on a host that reports their domains, or delete them.';

/**
 * Removes a decommissioned or dead host from the inventory: while its agent is not connected, or
 * once it is in maintenance with no VM left (evacuated). VMs recorded on it refuse the removal
 * unless `force` (offline hosts only): then their records are orphaned (FORCE_REMOVAL_EFFECT).
 * Its credential goes with it; tasks and events keep their history. Until a dead host is removed,
 * files in shared VM storage are not swept (it might still have domains using them).
 */
export async function removeHost(
  hostId: string,
  actor: { id: string; username: string },
  opts: { force?: boolean | undefined } = {},
): Promise<{ orphaned: { id: string; name: string }[] }> {
  const host = await hostOrThrow(hostId);
  const evacuated = host.maintenance === 'maintenance' && host.vmCount === 0;
  // Online here, or held by another manager.
  if ((connections.has(host.id) || host.status === 'online') && !evacuated) {
    throw new VireoError(
      'INVALID_STATE',
      `Host ${host.name} is online. Evacuate it (maintenance) or stop its agent before removing it.`,
      { object: 'host' },
    );
  }
  let orphaned: { id: string; name: string }[] = [];
  if (opts.force && !evacuated) {
    const vms = await hostRemoval.removeForced(host.id);
    if (!vms) throw new VireoError('NOT_FOUND', `Host ${host.name} is gone already.`, { object: 'host' });
    orphaned = vms.map((v) => ({ id: v.id, name: v.name }));
  } else if (!(await hosts.removeIfEmpty(host.id))) {
    const names = (await hostRemoval.vmsOn(host.id)).map((v) => v.name);
    throw new VireoError(
      'CONFLICT',
      `Host ${host.name} still has ${names.length === 1 ? '1 VM' : `${names.length} VMs`} recorded on it (${names.join(', ')}). Evacuate it, move or delete them, or remove it with force.`,
      { object: 'host' },
    );
  }
  // An agent that connected meanwhile (its state not applied yet) speaks for nothing now.
  connections.get(host.id)?.close('host removed');
  forgetHostStorage(host.id);
  forgetClaimsOf(host.id);
  publish({ kind: 'hostRemoved', hostId: host.id });
  const forced = orphaned.length
    ? ` Forced with ${orphaned.length} VM(s) on it (${orphaned.map((v) => v.name).join(', ')}): ${FORCE_REMOVAL_EFFECT}`
    : '';
  await events.add({
    severity: 'warning',
    kind: 'host.removed',
    message: `${actor.username} removed host ${host.name} from the inventory.${forced}`,
    userId: actor.id,
  });
  for (const v of orphaned) await publishVm(v.id);
  return { orphaned };
}

/**
 * Exchanges a one-time enrollment token for a host credential. A host already enrolled (same
 * libvirt host UUID) is refused unless an admin allowed its re-install; then it keeps its
 * identity, gets a fresh credential, and the old credential stops working at once.
 */
export async function enrollHost(req: EnrollRequest): Promise<EnrollResponse> {
  const { credential, hash } = newCredential();
  // Facts beyond identity arrive with the agent's first full state, right after this.
  const result = await enrollment.consume(req.token, {
    libvirtHostUuid: req.hostUuid,
    hostname: req.hostname,
    cpuCount: 0,
    cpuModel: '',
    memoryBytes: 0,
    memoryFreeBytes: 0,
    libvirtVersion: '',
    qemuVersion: '',
    domainTypes: [],
    credentialHash: hash,
  });
  if (!result.ok && result.reason === 'token')
    throw new VireoError(
      'UNAUTHORIZED',
      'The enrollment token is unknown, used, revoked or expired. Create a new one.',
    );
  if (!result.ok) {
    throw new VireoError(
      'CONFLICT',
      `This machine (libvirt host UUID ${req.hostUuid}) is already enrolled as host "${result.hostName}"; ` +
        'its existing credential stays valid and the token was not used. To re-install it, an administrator ' +
        'must first allow its re-enrollment (Hosts → Add host → "Allow re-install"), then run the agent again ' +
        'with this token. To keep the existing enrollment, restore the agent’s credential.json instead.',
      { object: 'host' },
    );
  }
  const { host } = result;
  if (result.reinstalled) {
    // Whatever holds the old credential must not stay connected on it.
    connections.get(host.id)?.close('host re-enrolled with a new credential');
    await events.add({
      severity: 'warning',
      kind: 'host.reenrolled',
      message: `Host ${host.name} was re-enrolled with a new credential; the old one no longer works.`,
      hostId: host.id,
    });
  }
  await publishHost(host.id);
  return { hostId: host.id, credential };
}
