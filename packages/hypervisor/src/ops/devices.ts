/**
 * Hot-plug of disks into a running domain (org.libvirt.Domain in libvirt-dbus 1.4.1:
 * AttachDevice(su), DetachDevice(su), GetXMLDesc(u)). Both change the live domain and its
 * persistent definition at once, so the disk is still there (or still gone) after a restart.
 */
import { VireoError } from '@vireo/protocol';
import { IFACE, type LibvirtCallFn, domainPath } from '../libvirt-call.ts';
import { targetDev } from '../xml/build.ts';
import { attr, child, children, parseXml, xml } from '../xml/common.ts';

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainModificationImpact */
export const VIR_DOMAIN_AFFECT_LIVE = 1;
export const VIR_DOMAIN_AFFECT_CONFIG = 2;

export interface HotplugDisk {
  path: string;
  bus: 'virtio' | 'scsi';
  format: 'qcow2' | 'raw';
}

export interface DeviceOps {
  /** Attaches a disk to the running domain and its definition; returns the target it got (vdb, sdb, …). */
  attachDisk(uuid: string, disk: HotplugDisk): Promise<string>;
  /**
   * Asks the guest to release the disk and drops it from the definition. Resolves once the live
   * domain no longer has it; TIMEOUT when the guest keeps it (it needs guest cooperation).
   */
  detachDisk(uuid: string, target: string, timeoutMs?: number): Promise<void>;
  /** The disk targets of the live domain, by source path (empty drives have none). */
  diskTargets(uuid: string): Promise<{ target: string; path?: string; bus?: string }[]>;
}

/** The first target name of the bus's prefix that no disk uses (SATA and SCSI share sdX). */
export function freeTarget(used: string[], bus: 'virtio' | 'scsi'): string {
  const prefix = bus === 'virtio' ? 'vd' : 'sd';
  for (let i = 0; ; i++) {
    const dev = targetDev(prefix, i);
    if (!used.includes(dev)) return dev;
  }
}

export function hotplugDiskXml(disk: HotplugDisk, target: string): string {
  return xml`<disk type='file' device='disk'>
  <driver name='qemu' type='${disk.format}'/>
  <source file='${disk.path}'/>
  <target dev='${target}' bus='${disk.bus}'/>
</disk>
`;
}

export class LibvirtDeviceOps implements DeviceOps {
  constructor(
    private readonly call: LibvirtCallFn,
    private readonly connectPath: string,
  ) {}

  private domain(uuid: string, method: string, signature: string, args: unknown[], what: string) {
    return this.call(domainPath(this.connectPath, uuid), IFACE.domain, method, signature, args, `${what} ${uuid}`);
  }

  private async liveDevices(uuid: string) {
    const [text] = await this.domain(uuid, 'GetXMLDesc', 'u', [0], 'read the XML of domain');
    return child(child(parseXml(text as string), 'domain'), 'devices');
  }

  async diskTargets(uuid: string): Promise<{ target: string; path?: string; bus?: string }[]> {
    const devices = await this.liveDevices(uuid);
    return children(devices, 'disk').flatMap((d) => {
      const target = attr(child(d, 'target'), 'dev');
      const src = child(d, 'source');
      const path = attr(src, 'file') ?? attr(src, 'dev');
      const bus = attr(child(d, 'target'), 'bus');
      return target ? [{ target, ...(path ? { path } : {}), ...(bus ? { bus } : {}) }] : [];
    });
  }

  async attachDisk(uuid: string, disk: HotplugDisk): Promise<string> {
    const devices = await this.liveDevices(uuid);
    if (disk.bus === 'scsi') {
      // Without a virtio-scsi controller libvirt would hot-add its default one (an LSI HBA on
      // i440fx), which lab guests and many modern kernels have no driver for.
      const scsi = children(devices, 'controller').some(
        (c) => attr(c, 'type') === 'scsi' && attr(c, 'model') === 'virtio-scsi',
      );
      if (!scsi) {
        throw new VireoError(
          'INVALID_STATE',
          'This VM has no virtio-scsi controller; add the disk on the virtio bus, or stop the VM first.',
          { object: 'vm' },
        );
      }
    }
    const used = children(devices, 'disk').flatMap((d) => attr(child(d, 'target'), 'dev') ?? []);
    const target = freeTarget(used, disk.bus);
    await this.domain(
      uuid,
      'AttachDevice',
      'su',
      [hotplugDiskXml(disk, target), VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG],
      'attach a disk to domain',
    );
    return target;
  }

  async detachDisk(uuid: string, target: string, timeoutMs = 30_000): Promise<void> {
    const disk = (await this.diskTargets(uuid)).find((d) => d.target === target);
    if (!disk) return; // already gone: a re-sent detach
    // libvirt matches the disk by its target; the source must match too when given.
    const doc =
      xml`<disk type='file' device='disk'>\n` +
      (disk.path ? xml`  <source file='${disk.path}'/>\n` : '') +
      xml`  <target dev='${target}' bus='${disk.bus ?? 'virtio'}'/>\n</disk>\n`;
    await this.domain(
      uuid,
      'DetachDevice',
      'su',
      [doc, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG],
      'detach a disk from domain',
    );
    // DetachDevice returns once the unplug is requested (libvirt waits ~5 s for QEMU's
    // DEVICE_DELETED, then returns anyway): the guest may still hold the disk.
    const deadline = Date.now() + timeoutMs;
    while ((await this.diskTargets(uuid)).some((d) => d.target === target)) {
      if (Date.now() > deadline) {
        throw new VireoError(
          'TIMEOUT',
          `The guest did not release disk ${target} within ${Math.round(timeoutMs / 1000)} s; it is removed from the definition and goes at the next restart.`,
          { object: 'vm' },
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** FakeHypervisor's: hot-plug needs a guest, which the fake has not. */
export class FakeDeviceOps implements DeviceOps {
  private refuse(): never {
    throw new VireoError('INVALID_STATE', 'The fake hypervisor has no hot-plug.', { object: 'vm' });
  }
  async attachDisk(): Promise<string> {
    this.refuse();
  }
  async detachDisk(): Promise<void> {
    this.refuse();
  }
  async diskTargets(): Promise<{ target: string; path?: string; bus?: string }[]> {
    return [];
  }
}
