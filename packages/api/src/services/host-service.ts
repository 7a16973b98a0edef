import { clusters, enrollment, hosts } from '@vireo/db';
import { type EnrollRequest, type EnrollResponse, VireoError } from '@vireo/protocol';
import type { HostView } from '../views.ts';
import { newCredential } from './host-credentials.ts';
import { publishHost, toHostView } from './views.ts';

const ENROLLMENT_TTL_MS = 24 * 3600 * 1000;

export async function listHosts(): Promise<HostView[]> {
  return (await hosts.list()).map(toHostView);
}

export async function createEnrollmentToken(): Promise<{ token: string; expiresAt: string }> {
  const cluster = await clusters.ensure('Default', 'Default');
  const { token, expiresAt } = await enrollment.create(cluster.id, ENROLLMENT_TTL_MS);
  return { token, expiresAt: expiresAt.toISOString() };
}

/**
 * Exchanges a one-time enrollment token for a host credential. A host that enrolls again (same
 * libvirt host UUID) keeps its identity and gets a fresh credential.
 */
export async function enrollHost(req: EnrollRequest): Promise<EnrollResponse> {
  const { credential, hash } = newCredential();
  // Facts beyond identity arrive with the agent's first full state, right after this.
  const host = await enrollment.consume(req.token, {
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
  if (!host)
    throw new VireoError('UNAUTHORIZED', 'The enrollment token is unknown, used or expired. Create a new one.');
  await publishHost(host.id);
  return { hostId: host.id, credential };
}
