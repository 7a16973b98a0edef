/** What the domain XML builder and parser share: escaping, the XML reader, small node helpers. */
import { XMLParser } from 'fast-xml-parser';

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
export function xml(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? escapeXml(values[i]!) : ''), '');
}

/** Elements that may repeat, by path, so a single one still parses as an array. */
const ARRAY_PATHS = new Set([
  'domain.devices.disk',
  'domain.devices.interface',
  'domain.devices.graphics',
  'domain.devices.graphics.listen',
  'domain.os.boot',
  'capabilities.guest',
  'capabilities.guest.arch',
  'capabilities.guest.arch.machine',
  'capabilities.guest.arch.domain',
  'capabilities.guest.arch.domain.machine',
  'domainCapabilities.os.enum',
  'domainCapabilities.os.enum.value',
  'domainCapabilities.os.loader.value',
  'domainCapabilities.cpu.mode',
  'domainCapabilities.cpu.mode.model',
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (_name, jpath) => ARRAY_PATHS.has(String(jpath)),
});

export type Node = Record<string, unknown>;

export function parseXml(text: string): Node {
  return parser.parse(text) as Node;
}

export function child(node: unknown, name: string): Node | undefined {
  const v = (node as Node | undefined)?.[name];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined;
}
export function children(node: unknown, name: string): Node[] {
  const v = (node as Node | undefined)?.[name];
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? x : { '#text': x }) as Node);
  return v === undefined ? [] : [(typeof v === 'object' ? v : { '#text': v }) as Node];
}
export function text(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  const t = (node as Node | undefined)?.['#text'];
  return typeof t === 'string' ? t : undefined;
}
export function attr(node: unknown, name: string): string | undefined {
  const v = (node as Node | undefined)?.[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
}
