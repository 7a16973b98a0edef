/**
 * Domain XML built from the typed DomainSpec (https://libvirt.org/formatdomain.html). Every value
 * goes through the escaping tagged template; the result is checked with virt-xml-validate before
 * libvirt sees it (validate-xml.ts).
 */
import type { DomainBoot, DomainDisk, DomainNic, DomainSpec } from '../hypervisor.ts';
import type { DomainPlatform } from '../platform.ts';
import { machineAlias } from '../platform.ts';
import { VIREO_XMLNS, xml } from './common.ts';

/** vda, vdb, …, vdz, vdaa, vdab, … as libvirt and Linux name them. */
export function targetDev(prefix: string, index: number): string {
  let name = '';
  let n = index;
  do {
    name = String.fromCharCode(97 + (n % 26)) + name;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return prefix + name;
}

/**
 * Where each disk goes: virtio disks are vdX; SATA and SCSI share the sdX names. Xen HVM guests
 * get Xen's PV block devices (xvdX on bus xen) for disks and emulated IDE (hdX) for CD-ROMs:
 * libxl has no virtio-blk, SATA or virtio-scsi.
 */
export function diskTargets(disks: DomainDisk[], xen: boolean): { dev: string; bus: string }[] {
  const next: Record<string, number> = {};
  const take = (prefix: string) => {
    const i = next[prefix] ?? 0;
    next[prefix] = i + 1;
    return targetDev(prefix, i);
  };
  return disks.map((d) => {
    if (xen) return d.device === 'cdrom' ? { dev: take('hd'), bus: 'ide' } : { dev: take('xvd'), bus: 'xen' };
    return d.bus === 'virtio' ? { dev: take('vd'), bus: 'virtio' } : { dev: take('sd'), bus: d.bus };
  });
}

function diskXml(disk: DomainDisk, target: { dev: string; bus: string }): string {
  // A CD-ROM is read-only whatever it says; libvirt would add <readonly/> itself.
  const readOnly = disk.readOnly || disk.device === 'cdrom';
  return (
    xml`    <disk type='file' device='${disk.device}'>
      <driver name='qemu' type='${disk.format}'/>
` +
    (disk.path ? xml`      <source file='${disk.path}'/>\n` : '') +
    xml`      <target dev='${target.dev}' bus='${target.bus}'/>\n` +
    (readOnly ? '      <readonly/>\n' : '') +
    '    </disk>\n'
  );
}

export function nicXml(nic: DomainNic, xen: boolean): string {
  // libxl has no virtio-net: leaving the model out gives Xen's PV NIC (with an emulated fallback).
  const model = xen && nic.model === 'virtio' ? '' : xml`      <model type='${nic.model}'/>\n`;
  return (
    xml`    <interface type='network'>
      <mac address='${nic.mac}'/>
      <source network='${nic.network}'/>
` +
    model +
    (nic.filter ? xml`      <filterref filter='${nic.filter}'/>\n` : '') +
    '    </interface>\n'
  );
}

function osXml(boot: DomainBoot, platform: DomainPlatform, xen: boolean): string {
  const uefi = boot.firmware === 'uefi' ? platform.uefi : undefined;
  let out = uefi?.kind === 'auto' ? "  <os firmware='efi'>\n" : '  <os>\n';
  out += xml`    <type arch='x86_64' machine='${platform.machine}'>hvm</type>\n`;
  // Autoselection would otherwise take the first descriptor, on q35 a secure-boot build with
  // Microsoft's keys enrolled, which refuses unsigned boot loaders (libvirt's firmware docs).
  if (uefi?.kind === 'auto' && !xen)
    out += "    <firmware>\n      <feature enabled='no' name='secure-boot'/>\n    </firmware>\n";
  if (uefi?.kind === 'loader') out += xml`    <loader readonly='yes' type='pflash'>${uefi.path}</loader>\n`;
  if (boot.kernel) {
    out += xml`    <kernel>${boot.kernel.kernelPath}</kernel>
    <initrd>${boot.kernel.initrdPath}</initrd>
    <cmdline>${boot.kernel.cmdline}</cmdline>
`;
  } else {
    for (const dev of boot.order) out += xml`    <boot dev='${dev}'/>\n`;
  }
  return `${out}  </os>\n`;
}

/** A platform for callers that did not read the host's capabilities (tests, the fake). */
export function defaultPlatform(spec: Pick<DomainSpec, 'type' | 'boot'>): DomainPlatform {
  const uefi = spec.boot.firmware === 'uefi' ? ({ kind: 'auto' } as const) : undefined;
  return { machine: machineAlias(spec.type, spec.boot.firmware), cpu: null, ...(uefi ? { uefi } : {}) };
}

export function buildDomainXml(spec: DomainSpec): string {
  const xen = spec.type === 'xen';
  const platform = spec.platform ?? defaultPlatform(spec);
  if (spec.boot.firmware === 'uefi' && !platform.uefi) throw new RangeError('UEFI boot needs a UEFI platform');
  const targets = diskTargets(spec.disks, xen);
  const scsi = !xen && spec.disks.some((d) => d.bus === 'scsi');
  return (
    xml`<domain type='${spec.type}'>
  <name>${spec.name}</name>
  <uuid>${spec.uuid}</uuid>
  <metadata>
    <vireo:vm xmlns:vireo='${VIREO_XMLNS}' managed='yes'/>
  </metadata>
  <memory unit='MiB'>${spec.memoryMiB}</memory>
  <vcpu>${spec.vcpus}</vcpu>
` +
    osXml(spec.boot, platform, xen) +
    (platform.cpu ? xml`  <cpu mode='${platform.cpu.mode}'/>\n` : '') +
    `  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
` +
    spec.disks.map((d, i) => diskXml(d, targets[i]!)).join('') +
    (scsi ? "    <controller type='scsi' index='0' model='virtio-scsi'/>\n" : '') +
    spec.nics.map((n) => nicXml(n, xen)).join('') +
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
