/**
 * What a host can run, decided from libvirt's capabilities XML
 * (https://libvirt.org/formatcaps.html), never hard-coded.
 */
import { constants, promises as fs } from 'node:fs';
import type { DomainType } from '@vireo/protocol';
import { parseXml } from './domain-xml.ts';

const PREFERENCE: DomainType[] = ['kvm', 'xen', 'qemu'];

export interface HostCapabilities {
  hostUuid: string;
  cpuModel: string;
  /** Domain types offered for x86_64 hvm guests, best first. */
  domainTypes: DomainType[];
}

type Node = Record<string, unknown>;
const asArray = (v: unknown): Node[] => (Array.isArray(v) ? v : v ? [v] : []) as Node[];
const text = (v: unknown): string =>
  typeof v === 'string' ? v : typeof (v as Node)?.['#text'] === 'string' ? ((v as Node)['#text'] as string) : '';

export function parseCapabilities(capsXml: string): HostCapabilities {
  const caps = parseXml(capsXml).capabilities as Node | undefined;
  if (!caps) throw new Error('not a capabilities XML document');
  const host = caps.host as Node;
  const cpu = host?.cpu as Node | undefined;
  const offered = new Set<string>();
  for (const guest of asArray(caps.guest)) {
    if (text(guest.os_type) !== 'hvm') continue;
    for (const arch of asArray(guest.arch)) {
      if (arch['@_name'] !== 'x86_64') continue;
      for (const d of asArray(arch.domain)) offered.add(String(d['@_type']));
    }
  }
  return {
    hostUuid: text(host?.uuid),
    cpuModel: text(cpu?.model) || String(text(cpu?.arch) || 'unknown'),
    domainTypes: PREFERENCE.filter((t) => offered.has(t)),
  };
}

/**
 * libvirt offers kvm whenever it can open /dev/kvm, but a /dev/kvm can exist and still not work
 * (on our lab machines guests hang at boot with it). The lab gives each host a copy of /dev
 * without kvm (lab/README.md, quirk 1), so there libvirt offers only qemu and this check agrees.
 * Elsewhere it is the agent's own sanity test of the device: a real KVM device is char 10:232 and
 * opens read-write; something else at that path (e.g. /dev/null bound over it to mask it) is not.
 * It cannot prove KVM works, only that it is not obviously absent or masked.
 */
export async function kvmDeviceUsable(path = '/dev/kvm'): Promise<boolean> {
  try {
    const st = await fs.stat(path);
    if (!st.isCharacterDevice()) return false;
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    if (major !== 10 || minor !== 232) return false;
    await fs.access(path, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Capabilities' domain types, minus kvm when the device check says it is not usable. */
export async function usableDomainTypes(
  caps: HostCapabilities,
  kvmUsable: () => Promise<boolean> = kvmDeviceUsable,
): Promise<DomainType[]> {
  if (!caps.domainTypes.includes('kvm') || (await kvmUsable())) return caps.domainTypes;
  return caps.domainTypes.filter((t) => t !== 'kvm');
}
