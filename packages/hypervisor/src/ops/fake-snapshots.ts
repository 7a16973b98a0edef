/**
 * In-memory snapshots for FakeHypervisor (unit tests, scale runs): the same rules as libvirt's
 * internal snapshots (ops/snapshots.ts): memory needs a running VM, disk-only a shut-off one.
 * Reverting changes no domain state here.
 */
import { type SnapshotInfo, VireoError } from '@vireo/protocol';
import type { SnapshotCreate, SnapshotOps } from './snapshots.ts';

export class FakeSnapshotOps implements SnapshotOps {
  private readonly byVm = new Map<string, SnapshotInfo[]>();

  /** `stateOf` answers the domain's state, undefined when there is no such domain. */
  constructor(private readonly stateOf: (uuid: string) => string | undefined) {}

  private vm(uuid: string): SnapshotInfo[] {
    if (this.stateOf(uuid) === undefined) throw new VireoError('NOT_FOUND', `No VM ${uuid}.`, { object: 'vm' });
    const list = this.byVm.get(uuid) ?? [];
    this.byVm.set(uuid, list);
    return list;
  }

  private must(uuid: string, name: string): SnapshotInfo {
    const s = this.vm(uuid).find((x) => x.name === name);
    if (!s) throw new VireoError('NOT_FOUND', 'The VM has no snapshot with this name.', { object: 'snapshot' });
    return s;
  }

  async list(uuid: string): Promise<SnapshotInfo[]> {
    return this.vm(uuid).map((s) => ({ ...s }));
  }

  async create(uuid: string, s: SnapshotCreate): Promise<void> {
    const list = this.vm(uuid);
    if (list.some((x) => x.name === s.name)) {
      throw new VireoError('CONFLICT', 'The VM already has a snapshot with this name.', { object: 'snapshot' });
    }
    const state = this.stateOf(uuid) ?? 'shutoff';
    if (s.withMemory !== (state !== 'shutoff')) {
      throw new VireoError('INVALID_STATE', 'Memory snapshots need a running VM, disk-only ones a shut-off VM.', {
        object: 'snapshot',
      });
    }
    const parent = list.find((x) => x.current)?.name ?? null;
    for (const x of list) x.current = false;
    list.push({
      name: s.name,
      description: s.description ?? '',
      parent,
      state,
      withMemory: s.withMemory,
      createdAt: Date.now(),
      current: true,
    });
  }

  async revert(uuid: string, name: string): Promise<void> {
    const target = this.must(uuid, name);
    for (const x of this.vm(uuid)) x.current = x === target;
  }

  async remove(uuid: string, name: string): Promise<void> {
    const target = this.must(uuid, name);
    const list = this.vm(uuid);
    for (const x of list) if (x.parent === name) x.parent = target.parent;
    if (target.current) {
      const parent = list.find((x) => x.name === target.parent);
      if (parent) parent.current = true;
    }
    list.splice(list.indexOf(target), 1);
  }

  async describe(uuid: string, name: string, description: string): Promise<void> {
    this.must(uuid, name).description = description;
  }
}
