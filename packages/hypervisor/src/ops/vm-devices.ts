/**
 * NICs and CD-ROM drives of a defined domain (org.libvirt.Domain in libvirt-dbus 1.4.1:
 * AttachDevice(su), DetachDevice(su), UpdateDevice(su), GetXMLDesc(u)). On a running domain every
 * change goes to the live domain and its persistent definition at once; on a stopped one to the
 * definition only (libvirt refuses AFFECT_LIVE on an inactive domain).
 */
import { VireoError } from '@vireo/protocol';
import type { DomainNic } from '../hypervisor.ts';
import { IFACE, type LibvirtCallFn, domainPath } from '../libvirt-call.ts';
import { nicXml, targetDev } from '../xml/build.ts';
import { type Node, attr, child, children, parseXml, xml } from '../xml/common.ts';
import { VIR_DOMAIN_AFFECT_CONFIG, VIR_DOMAIN_AFFECT_LIVE } from './devices.ts';

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainXMLFlags */
const VIR_DOMAIN_XML_INACTIVE = 2;

export type CdromBus = 'sata' | 'scsi';

export interface DomainNicFacts {
  mac: string;
  network?: string;
  model?: string;
}

export interface CdromDrive {
  target: string;
  bus: string;
  /** The inserted medium; absent when the drive is empty. */
  path?: string;
}

export interface VmDeviceOps {
  /** The NICs of the live domain when it runs, else of its definition. */
  nics(uuid: string, live: boolean): Promise<DomainNicFacts[]>;
  /** Adds a NIC (live and to the definition when `live`, else to the definition only). */
  attachNic(uuid: string, nic: DomainNic, live: boolean): Promise<void>;
  /**
   * Removes the NIC with this MAC. Live: resolves once the running domain no longer has it;
   * TIMEOUT when the guest keeps it (PCI unplug needs the guest's cooperation).
   */
  detachNic(uuid: string, mac: string, live: boolean, timeoutMs?: number): Promise<void>;
  /** CD-ROM drives, ordered by target (as a create assigns them: in drive order). */
  cdroms(uuid: string, live: boolean): Promise<CdromDrive[]>;
  /** Adds an empty or loaded CD-ROM drive to a stopped domain's definition; returns its target. */
  addCdrom(uuid: string, bus: CdromBus, path?: string): Promise<string>;
  /** Inserts `path` into the drive (null: ejects), live too when `live`. */
  changeMedia(uuid: string, drive: CdromDrive, path: string | null, live: boolean): Promise<void>;
}

/** sda < sdb < … < sdz < sdaa: libvirt's and Linux's order of target names. */
export function byTarget(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** The target after every sdX in use, so a new drive sorts after the drives already there. */
export function nextSdTarget(used: string[]): string {
  const sd = used.filter((t) => /^sd[a-z]+$/.test(t)).sort(byTarget);
  for (let i = 0; ; i++) {
    const dev = targetDev('sd', i);
    if (sd.length === 0 || byTarget(dev, sd[sd.length - 1] as string) > 0) return dev;
  }
}

export function cdromXml(target: string, bus: string, path: string | null): string {
  return (
    xml`<disk type='file' device='cdrom'>\n  <driver name='qemu' type='raw'/>\n` +
    (path ? xml`  <source file='${path}'/>\n` : '') +
    xml`  <target dev='${target}' bus='${bus}'/>\n  <readonly/>\n</disk>\n`
  );
}

export class LibvirtVmDeviceOps implements VmDeviceOps {
  constructor(
    private readonly call: LibvirtCallFn,
    private readonly connectPath: string,
  ) {}

  private domain(uuid: string, method: string, signature: string, args: unknown[], what: string) {
    return this.call(domainPath(this.connectPath, uuid), IFACE.domain, method, signature, args, `${what} ${uuid}`);
  }

  private async devices(uuid: string, live: boolean): Promise<Node | undefined> {
    const flags = live ? 0 : VIR_DOMAIN_XML_INACTIVE;
    const [text] = await this.domain(uuid, 'GetXMLDesc', 'u', [flags], 'read the XML of domain');
    return child(child(parseXml(text as string), 'domain'), 'devices');
  }

  private flags(live: boolean): number {
    return live ? VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG : VIR_DOMAIN_AFFECT_CONFIG;
  }

  async nics(uuid: string, live: boolean): Promise<DomainNicFacts[]> {
    return children(await this.devices(uuid, live), 'interface').flatMap((i) => {
      const mac = attr(child(i, 'mac'), 'address');
      if (!mac) return [];
      const network = attr(child(i, 'source'), 'network');
      const model = attr(child(i, 'model'), 'type');
      return [{ mac: mac.toLowerCase(), ...(network ? { network } : {}), ...(model ? { model } : {}) }];
    });
  }

  async attachNic(uuid: string, nic: DomainNic, live: boolean): Promise<void> {
    await this.domain(uuid, 'AttachDevice', 'su', [nicXml(nic, false), this.flags(live)], 'attach a NIC to domain');
  }

  async detachNic(uuid: string, mac: string, live: boolean, timeoutMs = 30_000): Promise<void> {
    const find = async (l: boolean) => (await this.nics(uuid, l)).find((n) => n.mac === mac.toLowerCase());
    const running = live ? await find(true) : undefined;
    const defined = await find(false);
    // A re-sent detach finds it gone from both (a live one may already be out of the definition).
    const known = running ?? defined;
    if (known) {
      // libvirt matches by MAC, but parses the device first: type='network' needs its source.
      const doc =
        xml`<interface type='network'>\n  <mac address='${mac}'/>\n` +
        xml`  <source network='${known.network ?? ''}'/>\n</interface>\n`;
      const flags = (running ? VIR_DOMAIN_AFFECT_LIVE : 0) | (defined ? VIR_DOMAIN_AFFECT_CONFIG : 0);
      await this.domain(uuid, 'DetachDevice', 'su', [doc, flags], 'detach a NIC from domain');
    }
    const has = async (l: boolean) => Boolean(await find(l));
    if (!live) return;
    // DetachDevice returns once the unplug is requested (libvirt waits ~5 s for QEMU's
    // DEVICE_DELETED, then returns anyway): the guest may still hold the NIC.
    const deadline = Date.now() + timeoutMs;
    while (await has(true)) {
      if (Date.now() > deadline) {
        throw new VireoError(
          'TIMEOUT',
          `The guest did not release NIC ${mac} within ${Math.round(timeoutMs / 1000)} s; it is removed from the definition and goes at the next restart.`,
          { object: 'vm' },
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async cdroms(uuid: string, live: boolean): Promise<CdromDrive[]> {
    return children(await this.devices(uuid, live), 'disk')
      .filter((d) => attr(d, 'device') === 'cdrom')
      .flatMap((d) => {
        const target = attr(child(d, 'target'), 'dev');
        if (!target) return [];
        const src = child(d, 'source');
        const path = attr(src, 'file') ?? attr(src, 'dev');
        return [{ target, bus: attr(child(d, 'target'), 'bus') ?? 'sata', ...(path ? { path } : {}) }];
      })
      .sort((a, b) => byTarget(a.target, b.target));
  }

  async addCdrom(uuid: string, bus: CdromBus, path?: string): Promise<string> {
    const devices = await this.devices(uuid, false);
    if (bus === 'scsi') {
      const scsi = children(devices, 'controller').some((c) => attr(c, 'type') === 'scsi');
      // Without one libvirt would add its default SCSI controller (an LSI HBA on i440fx), which
      // lab guests and many modern kernels have no driver for.
      if (!scsi) {
        await this.domain(
          uuid,
          'AttachDevice',
          'su',
          ["<controller type='scsi' model='virtio-scsi'/>\n", VIR_DOMAIN_AFFECT_CONFIG],
          'add a virtio-scsi controller to domain',
        );
      }
    }
    const used = children(devices, 'disk').flatMap((d) => attr(child(d, 'target'), 'dev') ?? []);
    const target = nextSdTarget(used);
    await this.domain(
      uuid,
      'AttachDevice',
      'su',
      [cdromXml(target, bus, path ?? null), VIR_DOMAIN_AFFECT_CONFIG],
      'add a CD-ROM drive to domain',
    );
    return target;
  }

  async changeMedia(uuid: string, drive: CdromDrive, path: string | null, live: boolean): Promise<void> {
    await this.domain(
      uuid,
      'UpdateDevice',
      'su',
      [cdromXml(drive.target, drive.bus, path), this.flags(live)],
      path ? 'insert a medium into a CD-ROM of domain' : 'eject the CD-ROM of domain',
    );
  }
}

/** FakeHypervisor's: its domains have no devices to change. */
export class FakeVmDeviceOps implements VmDeviceOps {
  private refuse(): never {
    throw new VireoError('INVALID_STATE', 'The fake hypervisor has no NIC or CD-ROM changes.', { object: 'vm' });
  }
  async nics(): Promise<DomainNicFacts[]> {
    return [];
  }
  async attachNic(): Promise<void> {
    this.refuse();
  }
  async detachNic(): Promise<void> {
    this.refuse();
  }
  async cdroms(): Promise<CdromDrive[]> {
    return [];
  }
  async addCdrom(): Promise<string> {
    this.refuse();
  }
  async changeMedia(): Promise<void> {
    this.refuse();
  }
}
