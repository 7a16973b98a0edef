/**
 * A defined domain's firmware and boot order (xml/boot.ts), changed by redefining the domain:
 * libvirt has no setter for either. The new XML is checked against libvirt's schema first, and
 * DomainDefineXML replaces the definition whole or not at all, so a refused change leaves the
 * domain as it was. Only stopped domains: redefining a running one would change its next start
 * only, and Vireo's records would then show what does not run.
 */
import type { DomainType, Firmware } from '@vireo/protocol';
import { VireoError } from '@vireo/protocol';
import { IFACE, type LibvirtCallFn, domainPath } from '../libvirt-call.ts';
import type { DomainPlatform } from '../platform.ts';
import { validateXml } from '../validate-xml.ts';
import { type BootSettings, applyBoot, readBoot } from '../xml/boot.ts';
import { attr, child, parseXml } from '../xml/common.ts';
import { parseDomainXml } from '../xml/parse.ts';

export type { BootRef, BootSettings } from '../xml/boot.ts';

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainXMLFlags */
const XML_INACTIVE = 2;

/** The settings and the devices they can name, in the definition's order. */
export interface BootState extends BootSettings {
  disks: { target: string; device: string; path?: string }[];
  nics: string[];
}

export interface BootOps {
  /** From the persistent definition (what the next start uses). */
  read(uuid: string): Promise<BootState>;
  /** Redefines the domain with this firmware and boot order; answers what libvirt then holds. */
  set(uuid: string, want: BootSettings): Promise<BootState>;
}

function stateOf(xmlText: string): BootState {
  const parsed = parseDomainXml(xmlText);
  return {
    ...readBoot(xmlText),
    disks: parsed.drives.flatMap((d) =>
      d.target ? [{ target: d.target, device: d.device, ...(d.path ? { path: d.path } : {}) }] : [],
    ),
    nics: parsed.nics.flatMap((n) => (n.mac ? [n.mac.toLowerCase()] : [])),
  };
}

export class LibvirtBootOps implements BootOps {
  constructor(
    private readonly call: LibvirtCallFn,
    private readonly connectPath: string,
    /** The UEFI firmware this host gives domains of `type` (the platform create uses). */
    private readonly uefiFor: (type: DomainType, firmware: Firmware) => Promise<DomainPlatform['uefi']>,
  ) {}

  private async inactiveXml(uuid: string): Promise<string> {
    const [xmlText] = await this.call(
      domainPath(this.connectPath, uuid),
      IFACE.domain,
      'GetXMLDesc',
      'u',
      [XML_INACTIVE],
      `read the definition of domain ${uuid}`,
    );
    return xmlText as string;
  }

  async read(uuid: string): Promise<BootState> {
    return stateOf(await this.inactiveXml(uuid));
  }

  async set(uuid: string, want: BootSettings): Promise<BootState> {
    const before = await this.inactiveXml(uuid);
    const type = (attr(child(parseXml(before), 'domain'), 'type') ?? 'qemu') as DomainType;
    const uefi = want.firmware === 'uefi' ? await this.uefiFor(type, 'uefi') : undefined;
    const next = applyBoot(before, want, uefi);
    await validateXml(next, 'domain');
    // libvirt-dbus 1.4.1: DomainDefineXML(s xml) → o, no flags argument.
    await this.call(this.connectPath, IFACE.connect, 'DomainDefineXML', 's', [next], `redefine domain ${uuid}`);
    return stateOf(await this.inactiveXml(uuid));
  }
}

/** FakeHypervisor's: it builds no XML to change. */
export class FakeBootOps implements BootOps {
  private refuse(): never {
    throw new VireoError('INVALID_STATE', 'The fake hypervisor cannot change firmware or boot order.', {
      object: 'vm',
    });
  }
  async read(): Promise<BootState> {
    this.refuse();
  }
  async set(_uuid: string, _want: BootSettings): Promise<BootState> {
    this.refuse();
  }
}
