/**
 * Editing a defined domain's persistent configuration through libvirt's own setters
 * (org.libvirt.Domain in libvirt-dbus 1.4.1: SetVcpus(uu), SetMemory(tu), Rename(su)), so libvirt
 * checks each value against the domain and the host as it does for `virsh setvcpus --config`.
 */
import { VireoError } from '@vireo/protocol';
import { IFACE, type LibvirtCallFn, domainPath } from '../libvirt-call.ts';
import { child, parseXml, text } from '../xml/common.ts';
import { parseDomainXml } from '../xml/parse.ts';

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainModificationImpact */
const AFFECT_LIVE = 1;
const AFFECT_CONFIG = 2;
/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainVcpuFlags */
const VCPU_MAXIMUM = 4;
/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainMemoryModFlags */
const MEM_MAXIMUM = 4;

export interface DomainLimits {
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
}

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainMetadataType */
const METADATA_DESCRIPTION = 0;
/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainXMLFlags */
const XML_INACTIVE = 2;

export interface DomainConfigOps {
  /**
   * vCPUs and memory, current and maximum, of the persistent definition (`config`: what the next
   * start uses) or of the running domain (`live`; for a stopped one libvirt answers with the config).
   */
  limits(uuid: string, which?: 'config' | 'live'): Promise<DomainLimits>;
  /** The maximum first (libvirt lowers the current count with it), then the current count. */
  setVcpus(uuid: string, vcpus: number, maxVcpus: number): Promise<void>;
  /** The maximum first (libvirt lowers the current size with it), then the current size. */
  setMemory(uuid: string, memoryMiB: number, maxMemoryMiB: number): Promise<void>;
  /** Renames an inactive domain (libvirt refuses a running one). */
  rename(uuid: string, name: string): Promise<void>;
  /** Hot-plugs (or unplugs) vCPUs of the running domain, up to its boot-time maximum. */
  setLiveVcpus(uuid: string, vcpus: number): Promise<void>;
  /** Sets the running domain's balloon target, up to its boot-time maximum memory. */
  setLiveMemory(uuid: string, memoryMiB: number): Promise<void>;
  /** The definition's `<description>` ('' when none). */
  description(uuid: string): Promise<string>;
  /** Sets (or, with '', removes) `<description>` in the definition and, if `live`, the running domain. */
  setDescription(uuid: string, description: string, live: boolean): Promise<void>;
}

export class LibvirtDomainConfigOps implements DomainConfigOps {
  constructor(
    private readonly call: LibvirtCallFn,
    private readonly connectPath: string,
  ) {}

  private domain(uuid: string, method: string, signature: string, args: unknown[], what: string) {
    return this.call(domainPath(this.connectPath, uuid), IFACE.domain, method, signature, args, `${what} ${uuid}`);
  }

  async limits(uuid: string, which: 'config' | 'live' = 'config'): Promise<DomainLimits> {
    const flags = which === 'config' ? XML_INACTIVE : 0;
    const [xmlText] = await this.domain(uuid, 'GetXMLDesc', 'u', [flags], 'read the definition of domain');
    const parsed = parseDomainXml(xmlText as string);
    // <vcpu current='n'>max</vcpu>: parseDomainXml reads the current count, the text is the maximum.
    const maxVcpus = Number(text(child(parseXml(xmlText as string), 'domain')?.vcpu) ?? parsed.vcpus);
    return { vcpus: parsed.vcpus, maxVcpus, memoryMiB: parsed.memoryMiB, maxMemoryMiB: parsed.maxMemoryMiB };
  }

  async setVcpus(uuid: string, vcpus: number, maxVcpus: number): Promise<void> {
    await this.domain(
      uuid,
      'SetVcpus',
      'uu',
      [maxVcpus, AFFECT_CONFIG | VCPU_MAXIMUM],
      'set the maximum vCPUs of domain',
    );
    await this.domain(uuid, 'SetVcpus', 'uu', [vcpus, AFFECT_CONFIG], 'set the vCPUs of domain');
  }

  async setMemory(uuid: string, memoryMiB: number, maxMemoryMiB: number): Promise<void> {
    const kib = (mib: number) => BigInt(mib) * 1024n;
    await this.domain(
      uuid,
      'SetMemory',
      'tu',
      [kib(maxMemoryMiB), AFFECT_CONFIG | MEM_MAXIMUM],
      'set the maximum memory of domain',
    );
    await this.domain(uuid, 'SetMemory', 'tu', [kib(memoryMiB), AFFECT_CONFIG], 'set the memory of domain');
  }

  async rename(uuid: string, name: string): Promise<void> {
    await this.domain(uuid, 'Rename', 'su', [name, 0], 'rename domain');
  }

  async setLiveVcpus(uuid: string, vcpus: number): Promise<void> {
    await this.domain(uuid, 'SetVcpus', 'uu', [vcpus, AFFECT_LIVE], 'hot-plug vCPUs of domain');
  }

  async setLiveMemory(uuid: string, memoryMiB: number): Promise<void> {
    await this.domain(
      uuid,
      'SetMemory',
      'tu',
      [BigInt(memoryMiB) * 1024n, AFFECT_LIVE],
      'balloon the memory of domain',
    );
  }

  async description(uuid: string): Promise<string> {
    const [xmlText] = await this.domain(uuid, 'GetXMLDesc', 'u', [XML_INACTIVE], 'read the definition of domain');
    return String(text(child(parseXml(xmlText as string), 'domain')?.description) ?? '');
  }

  async setDescription(uuid: string, description: string, live: boolean): Promise<void> {
    // libvirt-dbus passes '' as NULL, which removes the element.
    const flags = AFFECT_CONFIG | (live ? AFFECT_LIVE : 0);
    await this.domain(
      uuid,
      'SetMetadata',
      'isssu',
      [METADATA_DESCRIPTION, description, '', '', flags],
      'set the description of domain',
    );
  }
}

/** FakeHypervisor's: editing needs libvirt's checks, which the fake has not. */
export class FakeDomainConfigOps implements DomainConfigOps {
  private refuse(): never {
    throw new VireoError('INVALID_STATE', 'The fake hypervisor cannot edit domains.', { object: 'vm' });
  }
  async limits(): Promise<DomainLimits> {
    this.refuse();
  }
  async setVcpus(): Promise<void> {
    this.refuse();
  }
  async setMemory(): Promise<void> {
    this.refuse();
  }
  async rename(): Promise<void> {
    this.refuse();
  }
  async setLiveVcpus(): Promise<void> {
    this.refuse();
  }
  async setLiveMemory(): Promise<void> {
    this.refuse();
  }
  async description(): Promise<string> {
    this.refuse();
  }
  async setDescription(): Promise<void> {
    this.refuse();
  }
}
