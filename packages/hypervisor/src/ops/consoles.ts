/**
 * Text consoles of domains. libvirt-dbus 1.4.1 has no OpenConsole (virDomainOpenConsole needs a
 * virStream, which its D-Bus API does not expose: see org.libvirt.Domain.xml), so the agent reads
 * the serial port's pty itself. Its path is in the live XML: `<serial type='pty'><source
 * path='/dev/pts/N'/>` (libvirt fills it in when QEMU starts; it changes on every start).
 */
import { VireoError } from '@vireo/protocol';
import { IFACE, domainPath, type LibvirtCallFn } from '../libvirt-call.ts';
import { attr, child, children, parseXml } from '../xml/common.ts';

export interface ConsoleOps {
  /** The pty of a running domain's first serial port (e.g. `/dev/pts/3`), on this host. */
  serialPtyPath(uuid: string): Promise<string>;
}

/** The first pty serial port's path in a live domain XML, or null (not running, no pty serial). */
export function serialPtyOf(domainXml: string): string | null {
  const devices = child(child(parseXml(domainXml), 'domain'), 'devices');
  const serials = children(devices, 'serial').filter((s) => attr(s, 'type') === 'pty');
  const first = serials.find((s) => (attr(child(s, 'target'), 'port') ?? '0') === '0') ?? serials[0];
  const path = attr(child(first, 'source'), 'path');
  return path?.startsWith('/dev/') ? path : null;
}

export class LibvirtConsoleOps implements ConsoleOps {
  constructor(
    private readonly call: LibvirtCallFn,
    private readonly connectPath: string,
  ) {}

  async serialPtyPath(uuid: string): Promise<string> {
    const [xml] = await this.call(
      domainPath(this.connectPath, uuid),
      IFACE.domain,
      'GetXMLDesc',
      'u',
      [0],
      `read the XML of domain ${uuid}`,
    );
    const path = serialPtyOf(xml as string);
    if (!path) {
      throw new VireoError('INVALID_STATE', 'The VM has no serial console; is it running?', { object: 'vm' });
    }
    return path;
  }
}

/** The fake hypervisor's domains have no serial port to read. */
export class FakeConsoleOps implements ConsoleOps {
  async serialPtyPath(): Promise<string> {
    throw new VireoError('INVALID_STATE', 'The fake hypervisor has no serial consoles.', { object: 'vm' });
  }
}
