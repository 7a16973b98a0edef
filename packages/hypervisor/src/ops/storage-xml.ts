/**
 * Storage pool and volume XML: built from typed params (every value escaped), and parsed for the
 * few things Vireo reads back. Formats: https://libvirt.org/formatstorage.html
 */
import { escapeXml, parseXml } from '../domain-xml.ts';

export type VolumeFormat = 'qcow2' | 'raw';

/** Tagged template: every interpolated value is escaped, so no caller can forget. */
function xml(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? escapeXml(values[i]!) : ''), '');
}

export function buildDirPoolXml(p: { name: string; path: string }): string {
  return xml`<pool type='dir'>
  <name>${p.name}</name>
  <target>
    <path>${p.path}</path>
  </target>
</pool>
`;
}

export interface VolumeXmlParams {
  name: string;
  format: VolumeFormat;
  capacityBytes: number;
  /** A linked clone: reads fall through to this (qcow2) file; writes land in the new volume. */
  backing?: { path: string; format: string } | undefined;
}

export function buildVolumeXml(v: VolumeXmlParams): string {
  // allocation 0: thin. libvirt's dir backend then creates a sparse raw file or a bare qcow2 header.
  const backing = v.backing
    ? xml`  <backingStore>
    <path>${v.backing.path}</path>
    <format type='${v.backing.format}'/>
  </backingStore>
`
    : '';
  return (
    xml`<volume type='file'>
  <name>${v.name}</name>
  <capacity unit='bytes'>${v.capacityBytes}</capacity>
  <allocation unit='bytes'>0</allocation>
  <target>
    <format type='${v.format}'/>
  </target>
` +
    backing +
    '</volume>\n'
  );
}

type Node = Record<string, unknown>;

function child(node: unknown, name: string): Node | undefined {
  const v = (node as Node | undefined)?.[name];
  return v && typeof v === 'object' ? (v as Node) : undefined;
}
function text(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  const t = (node as Node | undefined)?.['#text'];
  return typeof t === 'string' ? t : undefined;
}
/** libvirt writes sizes as `<capacity unit='bytes'>N</capacity>` in its own XML. */
function bytes(node: unknown): number {
  const value = Number(text(node) ?? 0);
  const unit = String((node as Node | undefined)?.['@_unit'] ?? 'bytes').toLowerCase();
  const scale: Record<string, number> = { bytes: 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2 };
  return value * (scale[unit] ?? 1);
}

export interface ParsedPoolXml {
  name: string;
  uuid: string;
  type: string;
  path: string;
}

export function parsePoolXml(poolXml: string): ParsedPoolXml {
  const pool = child(parseXml(poolXml), 'pool');
  if (!pool) throw new Error('not a storage pool XML document');
  return {
    name: text(pool.name) ?? '',
    uuid: text(pool.uuid) ?? '',
    type: String(pool['@_type'] ?? ''),
    path: text(child(pool, 'target')?.path) ?? '',
  };
}

export interface ParsedVolumeXml {
  name: string;
  path: string;
  /** libvirt's format name: qcow2, raw, iso, ... ('' when libvirt could not tell). */
  format: string;
  /** Virtual size: what the guest sees. */
  capacityBytes: number;
  /** Bytes actually used on the host (a thin volume has far fewer than its capacity). */
  allocationBytes: number;
  backingPath: string | null;
}

export function parseVolumeXml(volXml: string): ParsedVolumeXml {
  const vol = child(parseXml(volXml), 'volume');
  if (!vol) throw new Error('not a storage volume XML document');
  const target = child(vol, 'target');
  const backing = text(child(vol, 'backingStore')?.path);
  return {
    name: text(vol.name) ?? '',
    path: text(target?.path) ?? '',
    format: String(child(target, 'format')?.['@_type'] ?? ''),
    capacityBytes: bytes(vol.capacity),
    allocationBytes: bytes(vol.allocation),
    backingPath: backing || null,
  };
}
