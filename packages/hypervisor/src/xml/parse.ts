/** Domain XML read back: the few things Vireo needs from a live or inactive definition. */
import { VIREO_XMLNS, attr, child, children, type Node, parseXml, text } from './common.ts';

export interface ParsedDisk {
  /** Absent for an empty CD-ROM drive. */
  path?: string;
  /** disk, cdrom (libvirt also has floppy, lun). */
  device: string;
  /** Target bus as libvirt has it: virtio, sata, scsi, ide, xen, … */
  bus?: string;
  target?: string;
  /** qcow2, raw, … from `<driver type=…>`. */
  format?: string;
  readOnly: boolean;
}

export interface ParsedNic {
  mac?: string;
  /** `<source network=…>` of a network interface. */
  network?: string;
  /** interface type: network, bridge, direct, … */
  type: string;
  model?: string;
  filter?: string;
  /** Host side device (vnetN) of a running domain. */
  target?: string;
}

export interface ParsedDomain {
  name: string;
  uuid: string;
  /** `<currentMemory>` (what the guest is given), else `<memory>`. */
  memoryMiB: number;
  /** `<memory>`: the maximum. */
  maxMemoryMiB: number;
  /** `<vcpu current=…>`, else `<vcpu>`. */
  vcpus: number;
  /** Disks with a source file or device (an empty CD-ROM has neither). */
  disks: { path: string; device: string; target?: string }[];
  /** Every disk and CD-ROM drive, empty ones included, with bus, format and read-only. */
  drives: ParsedDisk[];
  nics: ParsedNic[];
  /** bios or uefi (`<os firmware='efi'>`, or a pflash loader). */
  firmware: 'bios' | 'uefi';
  machine?: string;
  /** The VNC unix socket of a running domain (libvirt fills it in on start). */
  vncSocket?: string;
  managedByVireo: boolean;
}

const UNIT_TO_KIB: Record<string, number> = {
  b: 1 / 1024,
  bytes: 1 / 1024,
  k: 1,
  kib: 1,
  kb: 1000 / 1024,
  m: 1024,
  mib: 1024,
  mb: 1e6 / 1024,
  g: 1024 ** 2,
  gib: 1024 ** 2,
  gb: 1e9 / 1024,
};

function memoryMiB(node: unknown): number {
  const value = Number(text(node) ?? 0);
  const unit = String((node as Node | undefined)?.['@_unit'] ?? 'KiB').toLowerCase();
  return Math.round((value * (UNIT_TO_KIB[unit] ?? 1)) / 1024);
}

function driveOf(d: Node): ParsedDisk {
  const src = child(d, 'source');
  const path = attr(src, 'file') ?? attr(src, 'dev');
  const target = child(d, 'target');
  const dev = attr(target, 'dev');
  const bus = attr(target, 'bus');
  const format = attr(child(d, 'driver'), 'type');
  return {
    ...(path ? { path } : {}),
    device: attr(d, 'device') ?? 'disk',
    ...(bus ? { bus } : {}),
    ...(dev ? { target: dev } : {}),
    ...(format ? { format } : {}),
    readOnly: d.readonly !== undefined,
  };
}

function nicOf(n: Node): ParsedNic {
  const mac = attr(child(n, 'mac'), 'address');
  const network = attr(child(n, 'source'), 'network');
  const model = attr(child(n, 'model'), 'type');
  const filter = attr(child(n, 'filterref'), 'filter');
  const target = attr(child(n, 'target'), 'dev');
  return {
    type: attr(n, 'type') ?? '',
    ...(mac ? { mac: mac.toLowerCase() } : {}),
    ...(network ? { network } : {}),
    ...(model ? { model } : {}),
    ...(filter ? { filter } : {}),
    ...(target ? { target } : {}),
  };
}

export function parseDomainXml(domainXml: string): ParsedDomain {
  const dom = child(parseXml(domainXml), 'domain');
  if (!dom) throw new Error('not a domain XML document');
  const devices = child(dom, 'devices');
  const drives = children(devices, 'disk').map(driveOf);
  const disks = drives.flatMap((d) =>
    d.path ? [{ path: d.path, device: d.device, ...(d.target ? { target: d.target } : {}) }] : [],
  );
  const vnc = children(devices, 'graphics').find((g) => g['@_type'] === 'vnc');
  // Live XML shows the socket both as <graphics socket=…> and <listen type='socket' socket=…>.
  const vncSocket =
    attr(vnc, 'socket') ??
    attr(
      children(vnc, 'listen').find((l) => attr(l, 'type') === 'socket'),
      'socket',
    );
  const metadata = child(dom, 'metadata');
  const managedByVireo = Object.entries(metadata ?? {}).some(
    ([k, v]) => k.endsWith(':vm') && typeof v === 'object' && Object.values(v as Node).includes(VIREO_XMLNS),
  );
  const os = child(dom, 'os');
  const loader = child(os, 'loader');
  // libvirt expands firmware='efi' into a pflash loader in the live XML; either means UEFI.
  const uefi = attr(os, 'firmware') === 'efi' || attr(loader, 'type') === 'pflash';
  const machine = attr(child(os, 'type'), 'machine');
  return {
    name: text(dom.name) ?? '',
    uuid: text(dom.uuid) ?? '',
    // setmem/setvcpus --config change currentMemory / vcpu@current only; setmaxmem changes memory.
    memoryMiB: memoryMiB(dom.currentMemory ?? dom.memory),
    maxMemoryMiB: memoryMiB(dom.memory),
    vcpus: Number((dom.vcpu as Node | undefined)?.['@_current'] ?? text(dom.vcpu) ?? 0),
    disks,
    drives,
    nics: children(devices, 'interface').map(nicOf),
    firmware: uefi ? 'uefi' : 'bios',
    ...(machine ? { machine } : {}),
    ...(vncSocket ? { vncSocket } : {}),
    managedByVireo,
  };
}
