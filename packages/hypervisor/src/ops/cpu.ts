/**
 * A domain's CPU as its XML gives it (Domain.GetXMLDesc, libvirt-dbus 1.4.1), for the manager's
 * CPU-compatibility check before a migration. The host's CPU comes with hostInfo.
 */
import type { VmCpu } from '@vireo/protocol';
import { parseDomainCpu } from '../cpu.ts';
import type { LibvirtCallFn } from '../libvirt-call.ts';
import { IFACE, domainPath } from '../libvirt-call.ts';

export interface CpuOps {
  /** The CPU the domain's (live, else persistent) XML gives it. */
  domainCpu(uuid: string): Promise<VmCpu>;
}

export class LibvirtCpuOps implements CpuOps {
  constructor(
    private readonly call: LibvirtCallFn,
    private readonly connectPath: string,
  ) {}

  async domainCpu(uuid: string): Promise<VmCpu> {
    const path = domainPath(this.connectPath, uuid);
    const [xml] = await this.call(path, IFACE.domain, 'GetXMLDesc', 'u', [0], `read the XML of domain ${uuid}`);
    return parseDomainCpu(xml as string);
  }
}

/** The fake hypervisor's domains have no <cpu>: the default model. */
export class FakeCpuOps implements CpuOps {
  async domainCpu(_uuid: string): Promise<VmCpu> {
    return { mode: 'default', features: [] };
  }
}
