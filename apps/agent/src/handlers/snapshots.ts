/**
 * VM snapshots on this host. Each request answers with the VM's whole snapshot list as libvirt
 * has it after the change, so the manager's mirror is never built from what it asked for. A create
 * re-sent after a lost reply finds its snapshot already there and answers the list.
 */
import type { Hypervisor } from '@vireo/hypervisor';
import { type AgentParams, type AgentResult, VireoError } from '@vireo/protocol';
import type { Logger } from '../logger.ts';

type SnapshotMethod =
  | 'snapshot.list'
  | 'snapshot.create'
  | 'snapshot.revert'
  | 'snapshot.delete'
  | 'snapshot.deleteAll'
  | 'snapshot.describe';

export function snapshotHandlers(hv: Hypervisor, logger: Logger) {
  const snaps = hv.snapshots;

  async function mustDomain(uuid: string) {
    const d = await hv.domain(uuid);
    if (!d) throw new VireoError('NOT_FOUND', `No VM ${uuid} on this host.`, { object: 'vm' });
    return d;
  }

  const handlers: { [M in SnapshotMethod]: (p: AgentParams<M>) => Promise<AgentResult<M>> } = {
    async 'snapshot.list'({ uuid }) {
      return { snapshots: await snaps.list(uuid) };
    },

    async 'snapshot.create'({ uuid, name, description, withMemory }) {
      const d = await mustDomain(uuid);
      // Checked here for a clear message; libvirt refuses both too (see ops/snapshots.ts).
      if (withMemory && d.state !== 'running' && d.state !== 'paused') {
        throw new VireoError(
          'INVALID_STATE',
          'A snapshot with memory needs a running VM: start it first, or take a disk-only snapshot.',
          {
            object: 'snapshot',
          },
        );
      }
      if (!withMemory && d.state !== 'shutoff') {
        throw new VireoError(
          'INVALID_STATE',
          'A disk-only snapshot needs a shut-off VM (libvirt takes internal snapshots of a running VM only with its memory): shut it down, or include memory.',
          { object: 'snapshot' },
        );
      }
      const started = Date.now();
      try {
        await snaps.create(uuid, { name, description, withMemory });
      } catch (err) {
        // A re-sent create (lost reply) finds its snapshot made: the list is the answer. Asked
        // only on a conflict, so a create costs no listing before it.
        if (!VireoError.is(err, 'CONFLICT')) throw err;
        const same = (await snaps.list(uuid)).find((s) => s.name === name && s.withMemory === withMemory);
        if (!same) throw err;
      }
      logger.info('snapshot created', { uuid, name, withMemory, ms: Date.now() - started });
      return { snapshots: await snaps.list(uuid) };
    },

    async 'snapshot.revert'({ uuid, name, start, paused }) {
      // No read first: a missing VM or snapshot fails the lookup inside revert with NOT_FOUND.
      const started = Date.now();
      await snaps.revert(uuid, name, { ...(start ? { start } : {}), ...(paused ? { paused } : {}) });
      const [d, list] = await Promise.all([mustDomain(uuid), snaps.list(uuid)]);
      logger.info('reverted to snapshot', { uuid, name, state: d.state, ms: Date.now() - started });
      return { snapshots: list, domain: { state: d.state } };
    },

    async 'snapshot.delete'({ uuid, name }) {
      const have = await snaps.list(uuid);
      // Already gone (a re-sent request): the list is the answer.
      if (have.some((s) => s.name === name)) await snaps.remove(uuid, name);
      return { snapshots: await snaps.list(uuid) };
    },

    async 'snapshot.deleteAll'({ uuid }) {
      await deleteAllSnapshots(hv, uuid);
      return { snapshots: await snaps.list(uuid) };
    },

    async 'snapshot.describe'({ uuid, name, description }) {
      await snaps.describe(uuid, name, description);
      return { snapshots: await snaps.list(uuid) };
    },
  };
  return handlers;
}

/**
 * Deletes every snapshot of a domain, leaves first: deleting a leaf merges nothing into a child,
 * and each delete is one qemu-img (or QMP) call on the qcow2 file.
 */
export async function deleteAllSnapshots(hv: Hypervisor, uuid: string): Promise<number> {
  let n = 0;
  for (;;) {
    const list = await hv.snapshots.list(uuid);
    if (list.length === 0) return n;
    const leaf = list.find((s) => !list.some((c) => c.parent === s.name)) ?? list[0];
    if (!leaf) return n;
    await hv.snapshots.remove(uuid, leaf.name);
    n++;
  }
}
