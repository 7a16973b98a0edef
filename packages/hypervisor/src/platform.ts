/**
 * The machine type, CPU mode and UEFI firmware a domain gets, chosen from what the host says it
 * has: the capabilities' `<guest><arch><machine canonical=…>` (https://libvirt.org/formatcaps.html)
 * and the domain capabilities of that machine (https://libvirt.org/formatdomaincaps.html).
 * Never hard-coded, so a host with another QEMU, or Xen, gets what it can run.
 */
import type { DomainType, Firmware } from '@vireo/protocol';
import { VireoError } from '@vireo/protocol';
import { attr, child, children, type Node, parseXml, text } from './xml/common.ts';

export interface DomainPlatform {
  /** Canonical machine type, e.g. pc-i440fx-7.2, pc-q35-7.2, xenfv. */
  machine: string;
  /** null: the hypervisor's default CPU (qemu64 under TCG, which is also the fastest there). */
  cpu: { mode: 'host-passthrough' } | null;
  /** UEFI only: libvirt picks OVMF itself (`<os firmware='efi'>`), or this loader path. */
  uefi?: { kind: 'auto' } | { kind: 'loader'; path: string };
}

/**
 * The machine alias to look up: pc (i440fx) for BIOS, which the lab's guests and old templates
 * boot on; q35 for UEFI, which OVMF's secure builds need and which is OVMF's usual machine; Xen
 * HVM guests run on xenfv whatever the firmware.
 */
export function machineAlias(type: DomainType, firmware: Firmware): string {
  if (type === 'xen') return 'xenfv';
  return firmware === 'uefi' ? 'q35' : 'pc';
}

/** The canonical name of `alias` for x86_64 guests of `type`, or the alias itself if none. */
export function canonicalMachine(capsXml: string, type: DomainType, alias: string): string {
  const caps = child(parseXml(capsXml), 'capabilities');
  for (const guest of children(caps, 'guest')) {
    if (text(guest.os_type) !== 'hvm') continue;
    for (const arch of children(guest, 'arch')) {
      if (attr(arch, 'name') !== 'x86_64') continue;
      const domain = children(arch, 'domain').find((d) => attr(d, 'type') === type);
      // Machines may be listed per domain type (kvm) or for the arch as a whole.
      const machines = [...children(domain, 'machine'), ...children(arch, 'machine')];
      const found = machines.find((m) => text(m) === alias);
      if (found) return attr(found, 'canonical') ?? alias;
      if (machines.some((m) => text(m) === alias || attr(m, 'canonical') === alias)) return alias;
    }
  }
  return alias;
}

function enumValues(node: Node | undefined, name: string): string[] {
  const e = children(node, 'enum').find((x) => attr(x, 'name') === name);
  return children(e, 'value')
    .map((v) => text(v))
    .filter((v): v is string => Boolean(v));
}

/** Picks CPU mode and UEFI firmware from the domain capabilities of the chosen machine. */
export function choosePlatform(opts: {
  machine: string;
  domCapsXml: string;
  type: DomainType;
  firmware: Firmware;
}): DomainPlatform {
  const dc = child(parseXml(opts.domCapsXml), 'domainCapabilities');
  const os = child(dc, 'os');
  const passthrough = children(child(dc, 'cpu'), 'mode').find((m) => attr(m, 'name') === 'host-passthrough');
  // host-passthrough under TCG would make QEMU emulate the host's CPU, feature by feature: slow
  // at best, refused at worst (libvirt reports it unsupported for type qemu).
  const cpu =
    opts.type !== 'qemu' && attr(passthrough, 'supported') === 'yes' ? ({ mode: 'host-passthrough' } as const) : null;
  const platform: DomainPlatform = { machine: opts.machine, cpu };
  if (opts.firmware === 'bios') return platform;
  // libxl chooses Xen's own OVMF build when asked for EFI; it takes no loader path.
  if (opts.type === 'xen' || enumValues(os, 'firmware').includes('efi')) return { ...platform, uefi: { kind: 'auto' } };
  const loaders = children(child(os, 'loader'), 'value')
    .map((v) => text(v))
    .filter((v): v is string => Boolean(v));
  // Without firmware autoselection, a plain (not secure-boot) build: it boots unsigned loaders.
  const path = loaders.find((p) => !/secboot|\.ms\.|snakeoil|enrolled/i.test(p)) ?? loaders[0];
  if (!path) {
    throw new VireoError(
      'INVALID_STATE',
      `This host offers no UEFI firmware for machine ${opts.machine} (install OVMF, Debian package ovmf).`,
      { object: 'host' },
    );
  }
  return { ...platform, uefi: { kind: 'loader', path } };
}
