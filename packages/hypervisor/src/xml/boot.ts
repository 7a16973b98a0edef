/**
 * A defined domain's firmware and boot order, read from and written into its XML. The boot order
 * is per device (`<boot order='N'/>` in a disk or interface, https://libvirt.org/formatdomain.html
 * #elementsNICSBoot): it can name one disk among several, which `<os><boot dev='hd'/>` cannot.
 * libvirt refuses the two together ("per-device boot elements cannot be used together with
 * os/boot elements"), so writing per-device order removes the `<os><boot>` elements.
 *
 * The XML is edited as an ordered tree (fast-xml-parser's preserveOrder) so every element libvirt
 * wrote, known to Vireo or not, goes back unchanged.
 */
import type { Firmware } from '@vireo/protocol';
import { VireoError } from '@vireo/protocol';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { DomainPlatform } from '../platform.ts';

/** A bootable device: a disk (or CD-ROM) by its target, a NIC by its MAC. */
export type BootRef = { kind: 'disk'; target: string } | { kind: 'nic'; mac: string };

export interface BootSettings {
  firmware: Firmware;
  /** First to boot first; empty when the domain boots a kernel directly and names no device. */
  order: BootRef[];
}

const options = {
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  preserveOrder: true,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
} as const;
const parser = new XMLParser(options);
const builder = new XMLBuilder({ ...options, suppressEmptyNode: true });

/** One element of a preserveOrder tree: `{ tag: children, ':@': attributes }`. */
type El = Record<string, unknown> & { ':@'?: Record<string, string> };

function tagOf(el: El): string | undefined {
  return Object.keys(el).find((k) => k !== ':@' && k !== '#text' && k !== '#comment' && k !== '#cdata');
}
function kids(el: El): El[] {
  const tag = tagOf(el);
  return tag ? (el[tag] as El[]) : [];
}
function elements(parent: El, name: string): El[] {
  return kids(parent).filter((c) => tagOf(c) === name);
}
function attrOf(el: El | undefined, name: string): string | undefined {
  return el?.[':@']?.[`@_${name}`];
}
function removeChildren(parent: El, names: readonly string[]): void {
  const tag = tagOf(parent);
  if (!tag) return;
  parent[tag] = kids(parent).filter((c) => !names.includes(tagOf(c) ?? ''));
}
function element(name: string, attrs: Record<string, string>, children: El[] = []): El {
  const at = Object.fromEntries(Object.entries(attrs).map(([k, v]) => [`@_${k}`, v]));
  return { [name]: children, ':@': at };
}

function domainOf(tree: El[]): El {
  const dom = tree.find((n) => tagOf(n) === 'domain');
  if (!dom) throw new Error('not a domain XML document');
  return dom;
}

function parts(domainXml: string) {
  const tree = parser.parse(domainXml) as El[];
  const dom = domainOf(tree);
  const os = elements(dom, 'os')[0];
  const devices = elements(dom, 'devices')[0];
  if (!os || !devices) throw new Error('a domain XML without <os> or <devices>');
  return { tree, dom, os, devices, disks: elements(devices, 'disk'), nics: elements(devices, 'interface') };
}

const targetOf = (disk: El) => attrOf(elements(disk, 'target')[0], 'dev');
const macOf = (nic: El) => attrOf(elements(nic, 'mac')[0], 'address')?.toLowerCase();

/**
 * The firmware and the order the domain boots its devices in. `<os><boot dev=…>` is read as
 * libvirt means it: the first device of that kind (hd: the first disk, cdrom: the first CD-ROM,
 * network: the first NIC).
 */
export function readBoot(domainXml: string): BootSettings {
  const { os, disks, nics } = parts(domainXml);
  const loader = elements(os, 'loader')[0];
  const firmware: Firmware = attrOf(os, 'firmware') === 'efi' || attrOf(loader, 'type') === 'pflash' ? 'uefi' : 'bios';
  const numbered: { n: number; ref: BootRef }[] = [];
  for (const d of disks) {
    const n = Number(attrOf(elements(d, 'boot')[0], 'order'));
    const target = targetOf(d);
    if (n > 0 && target) numbered.push({ n, ref: { kind: 'disk', target } });
  }
  for (const nic of nics) {
    const n = Number(attrOf(elements(nic, 'boot')[0], 'order'));
    const mac = macOf(nic);
    if (n > 0 && mac) numbered.push({ n, ref: { kind: 'nic', mac } });
  }
  if (numbered.length > 0) return { firmware, order: numbered.sort((a, b) => a.n - b.n).map((x) => x.ref) };
  const order: BootRef[] = [];
  for (const b of elements(os, 'boot')) {
    const dev = attrOf(b, 'dev');
    const disk =
      dev === 'hd'
        ? disks.find((d) => attrOf(d, 'device') === 'disk')
        : dev === 'cdrom'
          ? disks.find((d) => attrOf(d, 'device') === 'cdrom')
          : undefined;
    const target = disk && targetOf(disk);
    if (target) order.push({ kind: 'disk', target });
    const mac = dev === 'network' && nics[0] ? macOf(nics[0]) : undefined;
    if (mac) order.push({ kind: 'nic', mac });
  }
  return { firmware, order };
}

function setFirmware(os: El, firmware: Firmware, uefi: DomainPlatform['uefi']): void {
  const attrs = { ...(os[':@'] ?? {}) };
  delete attrs['@_firmware'];
  // The loader, NVRAM and firmware features belong to the old firmware; the NVRAM file itself
  // stays on the host (libvirt removes it only with an undefine that asks for it).
  removeChildren(os, ['loader', 'nvram', 'firmware']);
  if (firmware === 'uefi') {
    if (!uefi)
      throw new VireoError('INVALID_STATE', 'This host has no UEFI firmware (OVMF) for the VM.', { object: 'vm' });
    const type = kids(os).findIndex((c) => tagOf(c) === 'type');
    const added: El[] = [];
    if (uefi.kind === 'auto') {
      attrs['@_firmware'] = 'efi';
      // As create does (xml/build.ts): autoselection would otherwise pick a secure-boot build.
      added.push(element('firmware', {}, [element('feature', { enabled: 'no', name: 'secure-boot' })]));
    } else {
      added.push(element('loader', { readonly: 'yes', type: 'pflash' }, [{ '#text': uefi.path }]));
    }
    kids(os).splice(type + 1, 0, ...added);
  }
  os[':@'] = attrs;
}

/**
 * The domain XML with this firmware and boot order. Every listed device gets `<boot order>`,
 * the others lose theirs; `<os><boot dev>` goes. The firmware's elements change only when the
 * firmware does (a UEFI domain keeps its loader and NVRAM). An unknown device is BAD_INPUT.
 */
export function applyBoot(domainXml: string, want: BootSettings, uefi: DomainPlatform['uefi']): string {
  const { tree, os, disks, nics } = parts(domainXml);
  if (readBoot(domainXml).firmware !== want.firmware) setFirmware(os, want.firmware, uefi);
  if (want.order.length > 0) removeChildren(os, ['boot']);
  for (const dev of [...disks, ...nics]) removeChildren(dev, ['boot']);
  const seen = new Set<El>();
  for (const [i, ref] of want.order.entries()) {
    const dev =
      ref.kind === 'disk'
        ? disks.find((d) => targetOf(d) === ref.target)
        : nics.find((n) => macOf(n) === ref.mac.toLowerCase());
    const label = ref.kind === 'disk' ? `disk ${ref.target}` : `NIC ${ref.mac}`;
    if (!dev) throw new VireoError('BAD_INPUT', `The VM has no ${label} to boot from.`, { object: 'vm' });
    if (seen.has(dev)) throw new VireoError('BAD_INPUT', `The boot order names ${label} twice.`, { object: 'vm' });
    seen.add(dev);
    kids(dev).push(element('boot', { order: String(i + 1) }));
  }
  return builder.build(tree) as string;
}
