/**
 * A domain's persistent XML as libvirt keeps it, and defining a domain from such an XML
 * (Domain.GetXMLDesc, Connect.DomainDefineXML; libvirt-dbus 1.4.1). For high availability: the
 * agent keeps a copy of each VM's definition beside its disk on shared storage, and another host
 * defines the VM from that copy when its host died (apps/agent/src/ha/).
 */
import { VireoError } from '@vireo/protocol';
import type { LibvirtCallFn } from '../libvirt-call.ts';
import { IFACE, domainPath } from '../libvirt-call.ts';

/** virDomainXMLFlags: SECURE (keep passwords, a restarted VM must keep its console's) | INACTIVE. */
const XML_SECURE_INACTIVE = 1 | 2;

export interface DomainXmlOps {
  /** The persistent (inactive) definition, or null when no such domain is defined here. */
  persistentXml(uuid: string): Promise<string | null>;
  /** Defines (persistently) a domain from a whole XML, as given. */
  defineXml(xml: string, what: string): Promise<void>;
}

export class LibvirtDomainXmlOps implements DomainXmlOps {
  constructor(
    private readonly call: LibvirtCallFn,
    private readonly connectPath: string,
  ) {}

  async persistentXml(uuid: string): Promise<string | null> {
    const path = domainPath(this.connectPath, uuid);
    try {
      const [xml] = await this.call(
        path,
        IFACE.domain,
        'GetXMLDesc',
        'u',
        [XML_SECURE_INACTIVE],
        `read the definition of domain ${uuid}`,
      );
      return xml as string;
    } catch (err) {
      if (VireoError.is(err, 'NOT_FOUND')) return null;
      throw err;
    }
  }

  async defineXml(xml: string, what: string): Promise<void> {
    // libvirt-dbus 1.4.1: DomainDefineXML(s xml) → o, no flags argument.
    await this.call(this.connectPath, IFACE.connect, 'DomainDefineXML', 's', [xml], what);
  }
}

/** The fake hypervisor keeps no XML: nothing to copy, and nothing can be defined from a copy. */
export class FakeDomainXmlOps implements DomainXmlOps {
  async persistentXml(_uuid: string): Promise<string | null> {
    return null;
  }
  async defineXml(_xml: string, what: string): Promise<void> {
    throw new VireoError('INTERNAL', `The fake hypervisor cannot define a domain from XML (${what}).`);
  }
}
