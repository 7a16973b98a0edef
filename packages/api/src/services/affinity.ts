/**
 * Affinity groups (admins): which VMs placement keeps on one host or apart. Membership is only a
 * rule for future placements (create now; migration and evacuation later): adding a VM does not
 * move it, so a group can hold members that break its rule until they are moved.
 */
import { VireoError } from '@vireo/protocol';
import { type AffinityGroupRecord, affinityGroups, DbConflictError, hosts, vms } from '@vireo/db';
import type { z } from 'zod';
import type { affinityGroupInput } from '../schemas/affinity.ts';

const notFound = () =>
  new VireoError('NOT_FOUND', 'That affinity group does not exist (any more).', { object: 'affinityGroup' });

export function listGroups(): Promise<AffinityGroupRecord[]> {
  return affinityGroups.list();
}

export async function createGroup(input: z.output<typeof affinityGroupInput>): Promise<AffinityGroupRecord> {
  try {
    return await affinityGroups.create(input);
  } catch (err) {
    if (err instanceof DbConflictError) {
      throw new VireoError('CONFLICT', `An affinity group named "${input.name}" already exists.`, {
        object: 'affinityGroup',
      });
    }
    throw err;
  }
}

export async function deleteGroup(groupId: string): Promise<void> {
  if (!(await affinityGroups.delete(groupId))) throw notFound();
}

export async function addMembers(groupId: string, vmIds: readonly string[]): Promise<AffinityGroupRecord> {
  if (!(await affinityGroups.byId(groupId))) throw notFound();
  for (const vmId of vmIds) {
    if (!(await vms.byId(vmId))) throw new VireoError('NOT_FOUND', 'No such VM.', { object: 'vm' });
  }
  await affinityGroups.addVms(groupId, vmIds);
  return (await affinityGroups.byId(groupId)) ?? Promise.reject(notFound());
}

export async function removeMembers(groupId: string, vmIds: readonly string[]): Promise<AffinityGroupRecord> {
  if (!(await affinityGroups.byId(groupId))) throw notFound();
  await affinityGroups.removeVms(groupId, vmIds);
  return (await affinityGroups.byId(groupId)) ?? Promise.reject(notFound());
}

/** The group's VM-to-host rule: these hosts (none: no host rule). */
export async function setHosts(groupId: string, hostIds: readonly string[]): Promise<AffinityGroupRecord> {
  if (!(await affinityGroups.byId(groupId))) throw notFound();
  for (const hostId of hostIds) {
    if (!(await hosts.byId(hostId))) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  }
  await affinityGroups.setHosts(groupId, hostIds);
  return (await affinityGroups.byId(groupId)) ?? Promise.reject(notFound());
}
