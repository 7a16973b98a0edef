/**
 * Domain XML: built from the typed DomainSpec, and parsed for the few things Vireo reads back.
 * Format reference: https://libvirt.org/formatdomain.html
 */
import { XMLParser } from 'fast-xml-parser';
import type { DomainSpec } from './hypervisor.ts';

/** Namespace of Vireo's <metadata> element; its presence marks a domain as managed by Vireo. */
export const VIREO_XMLNS = 'https://vireo.dev/xmlns/libvirt-domain/1';

export function escapeXml(value: string | number): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** Tagged template: every interpolated value is escaped, so no caller can forget. */
function xml(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? escapeXml(values[i]!) : ''), '');
}

function diskXml(disk: DomainSpec['disks'][number], index: number): string {
  // vda, vdb, ... (26 disks is far more than a Vireo VM has)
  const target = `vd${String.fromCharCode(97 + index)}`;
  return xml`    <disk type='file' device='disk'>
      <driver name='qemu' type='${disk.format}'/>
      <source file='${disk.path}'/>
      <target dev='${target}' bus='virtio'/>
    </disk>\n`;
}

export function buildDomainXml(spec: DomainSpec): string {
  if (spec.disks.length > 26) throw new RangeError('at most 26 disks');
  return (
    xml`<domain type='${spec.type}'>
  <name>${spec.name}</name>
  <uuid>${spec.uuid}</uuid>
  <metadata>
    <vireo:vm xmlns:vireo='${VIREO_XMLNS}' managed='yes'/>
  </metadata>
  <memory unit='MiB'>${spec.memoryMiB}</memory>
  <vcpu>${spec.vcpus}</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${spec.kernelPath}</kernel>
    <initrd>${spec.initrdPath}</initrd>
    <cmdline>${spec.cmdline}</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
` +
    spec.disks.map(diskXml).join('') +
    xml`    <serial type='pty'>
      <log file='${spec.serialLogPath}' append='off'/>
    </serial>
    <console type='pty'/>
    <graphics type='vnc'>
      <listen type='socket'/>
    </graphics>
    <video>
      <model type='vga'/>
    </video>
  </devices>
</domain>
`
  );
}

/** Elements that may repeat, by path, so a single one still parses as an array. */
const ARRAY_PATHS = new Set([
  'domain.devices.disk',
  'domain.devices.graphics',
  'domain.devices.graphics.listen',
  'capabilities.guest',
  'capabilities.guest.arch',
  'capabilities.guest.arch.domain',
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (_name, jpath) => ARRAY_PATHS.has(String(jpath)),
});

type Node = Record<string, unknown>;

export function parseXml(text: string): Node {
  return parser.parse(text) as Node;
}

function child(node: unknown, name: string): Node | undefined {
  const v = (node as Node | undefined)?.[name];
  return v && typeof v === 'object' ? (v as Node) : undefined;
}
function children(node: unknown, name: string): Node[] {
  const v = (node as Node | undefined)?.[name];
  return Array.isArray(v) ? (v as Node[]) : [];
}
function text(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  const t = (node as Node | undefined)?.['#text'];
  return typeof t === 'string' ? t : undefined;
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
  disks: { path: string; device: string; target?: string }[];
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

export function parseDomainXml(domainXml: string): ParsedDomain {
  const dom = child(parseXml(domainXml), 'domain');
  if (!dom) throw new Error('not a domain XML document');
  const devices = child(dom, 'devices');
  const disks = children(devices, 'disk').flatMap((d) => {
    const src = child(d, 'source');
    const path = (src?.['@_file'] ?? src?.['@_dev']) as string | undefined;
    if (!path) return []; // e.g. an empty cdrom
    const target = child(d, 'target')?.['@_dev'] as string | undefined;
    return [{ path, device: String(d['@_device'] ?? 'disk'), ...(target ? { target } : {}) }];
  });
  const vnc = children(devices, 'graphics').find((g) => g['@_type'] === 'vnc');
  // Live XML shows the socket both as <graphics socket=…> and <listen type='socket' socket=…>.
  const vncSocket =
    (vnc?.['@_socket'] as string | undefined) ??
    (children(vnc, 'listen').find((l) => l['@_type'] === 'socket')?.['@_socket'] as string | undefined);
  const metadata = child(dom, 'metadata');
  const managedByVireo = Object.entries(metadata ?? {}).some(
    ([k, v]) => k.endsWith(':vm') && typeof v === 'object' && Object.values(v as Node).includes(VIREO_XMLNS),
  );
  return {
    name: text(dom.name) ?? '',
    uuid: text(dom.uuid) ?? '',
    // setmem/setvcpus --config change currentMemory / vcpu@current only; setmaxmem changes memory.
    memoryMiB: memoryMiB(dom.currentMemory ?? dom.memory),
    maxMemoryMiB: memoryMiB(dom.memory),
    vcpus: Number((dom.vcpu as Node | undefined)?.['@_current'] ?? text(dom.vcpu) ?? 0),
    disks,
    ...(vncSocket ? { vncSocket } : {}),
    managedByVireo,
  };
}
