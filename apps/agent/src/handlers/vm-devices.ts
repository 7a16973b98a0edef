/**
 * NICs and CD-ROM drives: on a running VM a change goes live and into the definition, on a
 * stopped VM into the definition. Each is idempotent: a re-sent attach finds its MAC there, a
 * re-sent detach finds it gone, a re-sent medium change sets the same medium again.
 */
import type { Hypervisor } from '@vireo/hypervisor';
import { type AgentParams, type AgentResult, VireoError } from '@vireo/protocol';

type DeviceMethod = 'vm.attachNic' | 'vm.detachNic' | 'vm.addCdrom' | 'vm.setCdromMedia';
type Handler<M extends DeviceMethod> = (params: AgentParams<M>) => Promise<AgentResult<M>>;

/** Guests take the unplug request at their own pace; the lab's TCG guests within a few seconds. */
const NIC_RELEASE_TIMEOUT_MS = 45_000;

export function vmDeviceHandlers(hv: Hypervisor): { [M in DeviceMethod]: Handler<M> } {
  /** true when the VM runs (changes go live too); false when stopped; otherwise refused. */
  async function liveOrStopped(uuid: string, verb: string, stoppedOnly = false): Promise<boolean> {
    const d = await hv.domain(uuid);
    if (!d) throw new VireoError('NOT_FOUND', `No VM ${uuid} on this host.`, { object: 'vm' });
    if (d.state === 'shutoff' || (d.state === 'running' && !stoppedOnly)) return d.state === 'running';
    throw new VireoError('INVALID_STATE', `Cannot ${verb} while the VM is ${d.state}.`, { object: 'vm' });
  }

  /** The path of an ISO volume; NOT_FOUND when the pool has no such volume. */
  async function mediaPath(media: { pool: string; volume: string }): Promise<string> {
    const v = await hv.storage.volume(media.pool, media.volume);
    if (!v) {
      throw new VireoError('NOT_FOUND', `Pool ${media.pool} has no volume ${media.volume} on this host.`, {
        object: 'volume',
      });
    }
    return v.path;
  }

  return {
    async 'vm.attachNic'({ uuid, nic }) {
      const live = await liveOrStopped(uuid, 'add a NIC');
      const present = (await hv.vmDevices.nics(uuid, live)).some((n) => n.mac === nic.mac.toLowerCase());
      if (!present) await hv.vmDevices.attachNic(uuid, nic, live);
      return { live };
    },

    async 'vm.detachNic'({ uuid, mac }) {
      const live = await liveOrStopped(uuid, 'remove a NIC');
      const had = [...(await hv.vmDevices.nics(uuid, live)), ...(await hv.vmDevices.nics(uuid, false))].some(
        (n) => n.mac === mac.toLowerCase(),
      );
      await hv.vmDevices.detachNic(uuid, mac, live, NIC_RELEASE_TIMEOUT_MS);
      return { detached: had, live };
    },

    async 'vm.addCdrom'({ uuid, bus, media }) {
      await liveOrStopped(uuid, 'add a CD-ROM drive', true);
      const path = media ? await mediaPath(media) : null;
      const target = await hv.vmDevices.addCdrom(uuid, bus, path ?? undefined);
      return { target, path };
    },

    async 'vm.setCdromMedia'({ uuid, index, media }) {
      const live = await liveOrStopped(uuid, 'change the CD-ROM medium');
      // Vireo's own cloud-init seed drive is not one of the VM's drives in the manager's records.
      const drives = (await hv.vmDevices.cdroms(uuid, live)).filter((d) => !d.path?.endsWith(`${uuid}.seed.iso`));
      const drive = drives[index];
      if (!drive) throw new VireoError('NOT_FOUND', `The VM has no CD-ROM drive ${index + 1}.`, { object: 'disk' });
      const path = media ? await mediaPath(media) : null;
      await hv.vmDevices.changeMedia(uuid, drive, path, live);
      return { target: drive.target, path, live };
    },
  };
}
