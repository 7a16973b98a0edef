/**
 * Network and nwfilter XML: built from typed specs, and parsed for what Vireo reads back.
 * Formats: https://libvirt.org/formatnetwork.html, https://libvirt.org/formatnwfilter.html
 */
import type { DhcpHost, NetworkSpec, NetworkState, SecurityRule } from '@vireo/protocol';
import { escapeXml, parseXml } from './domain-xml.ts';

/** Tagged template: every interpolated value is escaped. */
function xml(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? escapeXml(values[i]!) : ''), '');
}

export function dhcpHostXml(h: DhcpHost): string {
  return h.hostname
    ? xml`<host mac='${h.mac}' name='${h.hostname}' ip='${h.ip}'/>`
    : xml`<host mac='${h.mac}' ip='${h.ip}'/>`;
}

export function buildNetworkXml(spec: NetworkSpec, uuid?: string): string {
  const lines = [xml`<network>`, xml`  <name>${spec.name}</name>`];
  if (uuid) lines.push(xml`  <uuid>${uuid}</uuid>`);
  if (spec.mode === 'nat') lines.push(`  <forward mode='nat'/>`);
  // A plain Linux bridge: libvirt only plugs guests into it (no DHCP, no <ip>, no <vlan>: libvirt
  // refuses <vlan> for this forward type, "whose type doesn't support vlan configuration").
  if (spec.mode === 'bridged') lines.push(`  <forward mode='bridge'/>`, xml`  <bridge name='${spec.bridge}'/>`);
  else lines.push(xml`  <bridge name='${spec.bridge}' stp='on' delay='0'/>`);
  const ip = spec.ipv4;
  if (ip) {
    lines.push(xml`  <ip address='${ip.address}' prefix='${ip.prefix}'>`);
    if (ip.dhcp || ip.hosts.length > 0) {
      lines.push('    <dhcp>');
      if (ip.dhcp) lines.push(xml`      <range start='${ip.dhcp.start}' end='${ip.dhcp.end}'/>`);
      for (const h of ip.hosts) lines.push(`      ${dhcpHostXml(h)}`);
      lines.push('    </dhcp>');
    }
    lines.push('  </ip>');
  }
  lines.push('</network>', '');
  return lines.join('\n');
}

type Node = Record<string, unknown>;
const asArray = (v: unknown): Node[] => (Array.isArray(v) ? v : v && typeof v === 'object' ? [v as Node] : []);
const attr = (n: unknown, name: string): string | undefined => {
  const v = (n as Node | undefined)?.[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
};
const text = (n: unknown): string => (typeof n === 'string' ? n : String((n as Node | undefined)?.['#text'] ?? ''));

/** Prefix length of a dotted netmask (255.255.255.0 → 24). */
export function netmaskToPrefix(mask: string): number {
  return mask
    .split('.')
    .map((o) => Number(o).toString(2))
    .join('')
    .replaceAll('0', '').length;
}

/** What a network's XML says; `active`/`autostart`/`persistent` come from its properties. */
export function parseNetworkXml(text_: string): Omit<NetworkState, 'active' | 'autostart' | 'persistent'> {
  const net = parseXml(text_).network as Node | undefined;
  if (!net) throw new Error('not a network XML document');
  const forward = attr(net.forward, 'mode');
  const mode = forward === undefined ? 'isolated' : forward === 'bridge' ? 'bridged' : forward;
  // Only the first IPv4 <ip>: Vireo makes one.
  const ipNode = asArray(net.ip).find((i) => (attr(i, 'family') ?? 'ipv4') === 'ipv4');
  let ipv4: NetworkState['ipv4'];
  if (ipNode) {
    const dhcp = (ipNode.dhcp ?? undefined) as Node | undefined;
    const range = asArray(dhcp?.range)[0];
    const prefix = attr(ipNode, 'prefix');
    const netmask = attr(ipNode, 'netmask');
    ipv4 = {
      address: attr(ipNode, 'address') ?? '',
      prefix: prefix ? Number(prefix) : netmask ? netmaskToPrefix(netmask) : 24,
      ...(range ? { dhcp: { start: attr(range, 'start') ?? '', end: attr(range, 'end') ?? '' } } : {}),
      hosts: asArray(dhcp?.host).flatMap((h) => {
        const mac = attr(h, 'mac');
        const ip = attr(h, 'ip');
        if (!mac || !ip) return []; // e.g. a host given by id (IPv6) or by name only
        const hostname = attr(h, 'name');
        return [{ mac: mac.toLowerCase(), ip, ...(hostname ? { hostname } : {}) }];
      }),
    };
  }
  return {
    name: text(net.name),
    uuid: text(net.uuid),
    bridge: attr(net.bridge, 'name') ?? '',
    mode,
    ...(ipv4 ? { ipv4 } : {}),
  };
}

/** Names of the libvirt networks a domain's NICs are on (`<interface type='network'>`). */
export function domainNetworkNames(domainXml: string): string[] {
  const devices = ((parseXml(domainXml).domain as Node | undefined)?.devices ?? {}) as Node;
  return asArray(devices.interface)
    .filter((i) => attr(i, 'type') === 'network')
    .map((i) => attr(i.source, 'network'))
    .filter((n): n is string => Boolean(n));
}

// ---- nwfilter ------------------------------------------------------------------------------

/**
 * Priorities order rules within the filter (lower first): DHCP first so a guest always gets its
 * address, then the group's allow rules, then the final drops.
 */
const PRIORITY = { dhcp: 100, rule: 500, drop: 900 } as const;

function ruleXml(r: SecurityRule): string {
  const attrs: string[] = [];
  if (r.cidr) {
    const [address, mask] = r.cidr.split('/');
    // libvirt's words are the packet's: for traffic to the guest the remote side is the source.
    const side = r.direction === 'in' ? 'src' : 'dst';
    attrs.push(xml`${side}ipaddr='${address!}'`, xml`${side}ipmask='${mask!}'`);
  }
  if (r.portStart !== undefined) {
    attrs.push(xml`dstportstart='${r.portStart}'`);
    if (r.portEnd !== undefined && r.portEnd !== r.portStart) attrs.push(xml`dstportend='${r.portEnd}'`);
  }
  const body = `<${r.protocol}${attrs.length ? ` ${attrs.join(' ')}` : ''}/>`;
  const open = xml`  <rule action='accept' direction='${r.direction}' priority='${PRIORITY.rule}'>`;
  return `${open}\n    ${body}\n  </rule>`;
}

/**
 * A security group as one filter: its allow rules, then drop everything else (IPv4 and IPv6).
 * Protocol rules are stateful in libvirt (an accepted connection's replies pass the other way,
 * conntrack ESTABLISHED), so "in tcp 22" alone lets ssh in and its answers out. DHCP is always
 * allowed (the broadcast offer is no conntrack reply, hence its own `in` rule); ARP is untouched
 * (no ebtables rules). Not libvirt's clean-traffic: its IP learning would tie the filter to the
 * guest's first address; anti-spoofing can be added as a `<filterref>` later.
 */
export function buildNwfilterXml(name: string, rules: SecurityRule[], uuid?: string): string {
  const lines = [xml`<filter name='${name}' chain='root'>`];
  if (uuid) lines.push(xml`  <uuid>${uuid}</uuid>`);
  lines.push(
    `  <rule action='accept' direction='out' priority='${PRIORITY.dhcp}'>\n    <udp srcportstart='68' dstportstart='67'/>\n  </rule>`,
    `  <rule action='accept' direction='in' priority='${PRIORITY.dhcp}'>\n    <udp srcportstart='67' dstportstart='68'/>\n  </rule>`,
    ...rules.map(ruleXml),
    `  <rule action='drop' direction='inout' priority='${PRIORITY.drop}'>\n    <all/>\n  </rule>`,
    `  <rule action='drop' direction='inout' priority='${PRIORITY.drop}'>\n    <all-ipv6/>\n  </rule>`,
    '</filter>',
    '',
  );
  return lines.join('\n');
}

export function parseNwfilterXml(text_: string): { name: string; uuid: string } {
  const f = parseXml(text_).filter as Node | undefined;
  if (!f) throw new Error('not a filter XML document');
  return { name: attr(f, 'name') ?? '', uuid: text(f.uuid) };
}
