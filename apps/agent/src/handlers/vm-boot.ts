/**
 * Firmware and boot order of a stopped VM: the manager names disks by their place among the
 * domain's drives and the path it recorded, NICs by MAC; a drive whose path differs from Vireo's
 * record means the definition changed behind Vireo's back, and nothing is changed.
 */
import type { BootRef, Hypervisor } from '@vireo/hypervisor';
import { type AgentParams, type AgentResult, VireoError } from '@vireo/protocol';

type BootMethod = 'vm.setBoot';
type Handler<M extends BootMethod> = (params: AgentParams<M>) => Promise<AgentResult<M>>;

export function vmBootHandlers(hv: Hypervisor): { [M in BootMethod]: Handler<M> } {
  return {
    async 'vm.setBoot'({ uuid, firmware, order }) {
      const d = await hv.domain(uuid);
      if (!d) throw new VireoError('NOT_FOUND', `No VM ${uuid} on this host.`, { object: 'vm' });
      if (d.state !== 'shutoff' && d.state !== 'crashed') {
        throw new VireoError(
          'INVALID_STATE',
          'Stop the VM first: firmware and boot order change only while it is off.',
          {
            object: 'vm',
          },
        );
      }
      const now = await hv.boot.read(uuid);
      const refs: BootRef[] = order.map((r) => {
        if (r.kind === 'nic') return { kind: 'nic', mac: r.mac.toLowerCase() };
        const drive = now.disks[r.index];
        if (!drive || (drive.path ?? null) !== r.path) {
          throw new VireoError(
            'CONFLICT',
            `The VM's drive ${r.index + 1} on the host is not the one Vireo recorded; nothing was changed.`,
            { object: 'disk' },
          );
        }
        return { kind: 'disk', target: drive.target };
      });
      const after = await hv.boot.set(uuid, { firmware, order: refs });
      const result: AgentResult<'vm.setBoot'> = { firmware: after.firmware, order: [] };
      for (const ref of after.order) {
        if (ref.kind === 'nic') result.order.push({ kind: 'nic', mac: ref.mac });
        const index = ref.kind === 'disk' ? after.disks.findIndex((x) => x.target === ref.target) : -1;
        if (index >= 0) result.order.push({ kind: 'disk', index });
      }
      return result;
    },
  };
}
