/**
 * IPv4 address management for Vireo's networks: pure checks, no I/O. A nat/isolated network is a
 * CIDR whose first address is the host's (gateway, DHCP and DNS server), a DHCP range inside it,
 * and static leases inside it but outside the range: dnsmasq would honour a static address in the
 * range too, but a guest may already hold it by a dynamic lease, and two guests with one address
 * is the failure IPAM exists to prevent.
 */
import { VireoError } from '@vireo/protocol';

export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

const bad = (message: string) => new VireoError('BAD_INPUT', message, { object: 'network' });

export function ipToNumber(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw bad(`${ip} is not an IPv4 address.`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function parseCidr(cidr: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) throw bad(`${cidr} is not a CIDR like 192.168.124.0/24.`);
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 30) throw bad(`The prefix of ${cidr} must be between /8 and /30.`);
  const ip = ipToNumber(m[1]!);
  const size = 2 ** (32 - prefix);
  const base = ip - (ip % size);
  if (base !== ip) throw bad(`${cidr} is not a network address; did you mean ${numberToIp(base)}/${prefix}?`);
  return { base, prefix };
}

const size = (c: Cidr) => 2 ** (32 - c.prefix);
export const gateway = (c: Cidr) => numberToIp(c.base + 1);
export const formatCidr = (c: Cidr) => `${numberToIp(c.base)}/${c.prefix}`;

/** Usable for guests: not the network or broadcast address, not the host's (gateway) address. */
export function isGuestAddress(c: Cidr, ip: number): boolean {
  return ip > c.base + 1 && ip < c.base + size(c) - 1;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** The CIDR and DHCP range of a new nat/isolated network; the other networks of its cluster. */
export function checkNetworkRange(
  cidr: string,
  dhcp: { start: string; end: string },
  others: { name: string; cidr: string | null }[],
): Cidr {
  const c = parseCidr(cidr);
  const start = ipToNumber(dhcp.start);
  const end = ipToNumber(dhcp.end);
  for (const [label, ip] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (!isGuestAddress(c, ip)) {
      throw bad(
        `The DHCP range ${label} ${numberToIp(ip)} must be inside ${formatCidr(c)}, and not its first (the host's, ${gateway(c)}) or broadcast address.`,
      );
    }
  }
  if (start > end) throw bad(`The DHCP range starts (${dhcp.start}) after it ends (${dhcp.end}).`);
  for (const o of others) {
    if (o.cidr && overlaps(c, parseCidr(o.cidr))) {
      throw new VireoError('CONFLICT', `${formatCidr(c)} overlaps network ${o.name} (${o.cidr}) in this cluster.`, {
        object: 'network',
      });
    }
  }
  return c;
}

/** A static lease's address: inside the CIDR, a guest address, outside the DHCP range. */
export function checkStaticAddress(cidr: string, dhcp: { start: string; end: string } | null, ip: string): void {
  const c = parseCidr(cidr);
  const n = ipToNumber(ip);
  if (!isGuestAddress(c, n)) {
    throw bad(`${ip} is not a guest address of ${formatCidr(c)} (inside it, not ${gateway(c)}, not the broadcast).`);
  }
  if (dhcp && n >= ipToNumber(dhcp.start) && n <= ipToNumber(dhcp.end)) {
    throw bad(
      `${ip} is inside the DHCP range ${dhcp.start}–${dhcp.end}, where a guest may already hold it; choose an address outside the range.`,
    );
  }
}
