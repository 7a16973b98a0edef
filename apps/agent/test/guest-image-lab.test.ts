/**
 * The lab guest's bootable disks on real libvirt hosts, with domains defined directly through
 * virsh (not Vireo's XML builder): boot-bios.qcow2 on machine 'pc' by SeaBIOS + syslinux and
 * boot-uefi.qcow2 on 'q35' by OVMF, each as a linked clone, with a NIC on a libvirt NAT network
 * defined here and a NoCloud seed ISO made by the agent's builder (apps/agent/src/cloud-init.ts)
 * as a CD-ROM (IDE on pc, virtio-scsi on q35). Checked on the serial line, on the screen and in
 * libvirt: the banner, the seed's hostname and user-data output, a DHCP address that libvirt's own lease table agrees
 * with, the guest answering ping, ACPI power-off. Both guests boot at the same time (two hosts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeSeedIso } from '../src/cloud-init.ts';

const run = promisify(execFile);
const labJson = process.env.VIREO_TEST_LAB_JSON;
if (!labJson) throw new Error('VIREO_TEST_LAB_JSON is not set: run with scripts/test.sh.');
const lab = JSON.parse(readFileSync(labJson, 'utf8')) as {
  sharedDir: string;
  imagesDir: string;
  hosts: { name: string; pid: number }[];
};
// Until every checkout has this build-image.sh, another one may have rewritten image.json
// without the boot disks: run ours first (about a second when the image is up to date).
await run('bash', [fileURLToPath(new URL('../../../lab/guest/build-image.sh', import.meta.url)), lab.imagesDir], {
  timeout: 180_000,
});
const image = JSON.parse(readFileSync(join(lab.imagesDir, 'image.json'), 'utf8')) as {
  bootDisks?: { bios: string; uefi: string };
  ovmf?: { code: string; varsTemplate: string };
};
const tag = randomBytes(3).toString('hex');
const dir = join(lab.sharedDir, `guest-image-${tag}`);
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop';
const t0 = performance.now();
const log = (...a: unknown[]) => console.log(`[${String(Math.round(performance.now() - t0)).padStart(6)} ms]`, ...a);

async function inHost(pid: number, cmd: string[]) {
  const { stdout } = await run('nsenter', ['-t', String(pid), '-m', '-n', ...cmd], { timeout: 30_000 });
  return stdout;
}
const virsh = (pid: number, ...args: string[]) => inHost(pid, ['virsh', '-q', '-c', 'qemu:///system', ...args]);

async function until<T>(
  what: string,
  ms: number,
  probe: () => T | undefined | Promise<T | undefined>,
  info = () => '',
) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}\n${info()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A tiny NAT network per host: libvirt's dnsmasq serves DHCP in .100-.199.
const NET_PREFIX = '192.168.150';
const netXml = (name: string) => `<network>
  <name>${name}</name>
  <forward mode='nat'/>
  <bridge name='vgi${tag}' stp='off'/>
  <ip address='${NET_PREFIX}.1' netmask='255.255.255.0'>
    <dhcp><range start='${NET_PREFIX}.100' end='${NET_PREFIX}.199'/></dhcp>
  </ip>
</network>`;

interface Case {
  firmware: 'bios' | 'uefi';
  host: { name: string; pid: number };
  name: string;
  hostname: string;
  mac: string;
  net: string;
  overlay: string;
  seed: string;
  serial: string;
  nvram: string;
  startedAt?: number;
}

function domainXml(c: Case): string {
  const os =
    c.firmware === 'bios'
      ? `<os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>`
      : `<os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <loader readonly='yes' type='pflash'>${image.ovmf!.code}</loader>
    <nvram template='${image.ovmf!.varsTemplate}'>${c.nvram}</nvram>
    <boot dev='hd'/>
  </os>`;
  // No SATA/AHCI driver in the cloud kernel: the CD-ROM is IDE on pc, virtio-scsi on q35.
  const cdrom =
    c.firmware === 'bios'
      ? `<disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='${c.seed}'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>`
      : `<controller type='scsi' index='0' model='virtio-scsi'/>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='${c.seed}'/>
      <target dev='sda' bus='scsi'/>
      <readonly/>
    </disk>`;
  return `<domain type='qemu'>
  <name>${c.name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  ${os}
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${c.overlay}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    ${cdrom}
    <interface type='network'>
      <mac address='${c.mac}'/>
      <source network='${c.net}'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <log file='${c.serial}' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <graphics type='vnc'><listen type='socket'/></graphics>
    <video><model type='vga'/></video>
  </devices>
</domain>`;
}

const cases: Case[] = (['bios', 'uefi'] as const).map((firmware, i) => {
  const name = `gi-${firmware}-${tag}`;
  return {
    firmware,
    host: lab.hosts[i % lab.hosts.length]!,
    name,
    hostname: `seeded-${firmware}-${tag}`,
    mac: `52:54:00:9${i}:${tag.slice(0, 2)}:${tag.slice(2, 4)}`,
    net: `vgi-${tag}`,
    overlay: join(dir, `${name}.qcow2`),
    seed: join(dir, `${name}-seed.iso`),
    serial: join(dir, `${name}.serial.log`),
    nvram: join(dir, `${name}_VARS.fd`),
  };
});

/**
 * Pixels of an 8-bit RGB PNG (what `virsh screenshot` writes) within ±8 of a colour. Minimal
 * decoder: IHDR + IDAT chunks, the five scanline filters, no interlace.
 */
function countColour(png: Buffer, [r, g, b]: [number, number, number]): number {
  assert.equal(png.toString('latin1', 1, 4), 'PNG');
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  for (let off = 8; off < png.length; ) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([data[8], data[9], data[12]], [8, 2, 0], '8-bit RGB, not interlaced');
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  const prev = Buffer.alloc(stride);
  const line = Buffer.alloc(stride);
  let count = 0;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= 3 ? line[x - 3]! : 0;
      const up = prev[x]!;
      const c = x >= 3 ? prev[x - 3]! : 0;
      const p = a + up - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - up), Math.abs(p - c)];
      const pred = [0, a, up, (a + up) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? up : c][filter]!;
      line[x] = (src[x]! + pred) & 0xff;
    }
    for (let x = 0; x < stride; x += 3) {
      if (Math.abs(line[x]! - r) <= 8 && Math.abs(line[x + 1]! - g) <= 8 && Math.abs(line[x + 2]! - b) <= 8) count++;
    }
    line.copy(prev);
  }
  return count;
}

const serialText = (c: Case) => (existsSync(c.serial) ? readFileSync(c.serial, 'latin1') : '');
const serialLine = (c: Case, re: RegExp) => re.exec(serialText(c)) ?? undefined;

before(async () => {
  assert.ok(image.bootDisks && image.ovmf, `image.json has bootDisks and ovmf: ${JSON.stringify(image)}`);
  await mkdir(dir, { recursive: true });
  for (const c of cases) {
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', image.bootDisks[c.firmware], c.overlay]);
    await writeSeedIso(
      {
        hostname: c.hostname,
        // BIOS: a user with a key plus a script (multipart user-data); UEFI: a script alone.
        ...(c.firmware === 'bios' ? { user: { name: 'alice', sshAuthorizedKeys: [KEY] } } : {}),
        // Runs once the NIC has its address: busybox ping works inside the guest.
        userData: [
          '#!/bin/sh',
          `echo "hello from ${c.firmware} user-data"`,
          'echo "kernel $(uname -r)"',
          `ping -c 1 -W 5 ${NET_PREFIX}.1 >/dev/null && echo "gateway answers ping"`,
          '',
        ].join('\n'),
      },
      c.seed,
    );
    await writeFile(join(dir, `${c.net}-${c.host.name}.xml`), netXml(c.net));
    await virsh(c.host.pid, 'net-create', join(dir, `${c.net}-${c.host.name}.xml`));
    await writeFile(join(dir, `${c.name}.xml`), domainXml(c));
    await virsh(c.host.pid, 'define', join(dir, `${c.name}.xml`));
  }
  for (const c of cases) {
    c.startedAt = performance.now();
    await virsh(c.host.pid, 'start', c.name);
  }
  log('started', cases.map((c) => `${c.name} on ${c.host.name}`).join(', '));
});

after(async () => {
  for (const c of cases) {
    await virsh(c.host.pid, 'destroy', c.name).catch(() => {});
    await virsh(c.host.pid, 'undefine', '--nvram', c.name).catch(() => {});
    await virsh(c.host.pid, 'net-destroy', c.net).catch(() => {});
  }
  await rm(dir, { recursive: true, force: true });
});

for (const c of cases) {
  test(`${c.firmware.toUpperCase()} boot disk: READY, seed hostname + user-data, DHCP address, ACPI power-off`, async () => {
    const info = () => `serial log of ${c.name}:\n${serialText(c)}`;
    // READY carries the seed's hostname: the seed is read before READY.
    await until(`${c.name} READY`, 90_000, () => serialLine(c, new RegExp(`VIREO GUEST ${c.hostname} READY`)), info);
    log(`${c.firmware}: start → READY ${Math.round(performance.now() - c.startedAt!)} ms`);
    const text = serialText(c);
    assert.match(text, new RegExp(`VIREO GUEST ${c.hostname} CLOUDINIT hostname=${c.hostname}\\r?\\n`));
    // Booted from the boot disk itself (its marker partition), not by direct kernel boot.
    assert.match(text, new RegExp(`DISK vda2 marker=VIREO-BOOT-DISK \\S+ ${c.firmware} boots=1\\r?\\n`));
    // The banner on the screen: VGA text mode under SeaBIOS (720x400), the EFI framebuffer
    // under OVMF; both show the 3 green and 3 magenta rows (each about 30 000 pixels or more).
    const shot = join(dir, `${c.name}.png`);
    await virsh(c.host.pid, 'screenshot', c.name, shot);
    const png = readFileSync(shot);
    const green = countColour(png, [0, 168, 0]);
    const magenta = countColour(png, [168, 0, 168]);
    log(`${c.firmware}: screenshot green ${green} px, magenta ${magenta} px`);
    assert.ok(green >= 30_000 && magenta >= 30_000, `banner bars on screen: green ${green}, magenta ${magenta} px`);
    const dom = await virsh(c.host.pid, 'dumpxml', c.name);
    assert.doesNotMatch(dom, /<kernel>/);
    if (c.firmware === 'uefi')
      assert.match(dom, /<loader readonly='yes' type='pflash'>[^<]*OVMF_CODE_4M\.fd<\/loader>/);

    // DHCP from libvirt's dnsmasq: the NET line's MAC is ours, the address is in the range
    // and is the one in libvirt's lease table; the guest answers ping from the host.
    const net = await until(
      `${c.name} NET line`,
      30_000,
      () => serialLine(c, /VIREO GUEST \S+ NET eth0 ([0-9a-f:]+) (\S+)\r?\n/),
      info,
    );
    assert.equal(net[1], c.mac);
    const ip = new RegExp(`^(${NET_PREFIX.replaceAll('.', '\\.')}\\.(\\d+))/24$`).exec(net[2]!);
    assert.ok(ip && Number(ip[2]) >= 100 && Number(ip[2]) <= 199, `address in the DHCP range: ${net[2]}`);
    const leases = await virsh(c.host.pid, 'net-dhcp-leases', c.net);
    assert.match(leases, new RegExp(`${c.mac}\\s+ipv4\\s+${ip[1]!.replaceAll('.', '\\.')}/24`), leases);
    await inHost(c.host.pid, ['busybox', 'ping', '-c', '1', '-W', '5', ip[1]!]);

    // user-data ran after READY; its output lines come back on serial.
    await until(`${c.name} user-data exit`, 30_000, () => serialLine(c, /USERDATA-EXIT (\d+)/), info);
    const after = serialText(c);
    assert.match(after, new RegExp(`VIREO GUEST ${c.hostname} USERDATA hello from ${c.firmware} user-data\\r?\\n`));
    assert.match(after, /USERDATA kernel 6\.\d+\.\d+-\S+-cloud-amd64\r?\n/);
    assert.match(after, /USERDATA gateway answers ping\r?\n/);
    assert.match(after, /USERDATA-EXIT 0\r?\n/);
    if (c.firmware === 'bios') {
      assert.match(after, /CLOUDCONFIG users=alice ssh-keys=1 not-applied/);
    }

    const t = performance.now();
    await virsh(c.host.pid, 'shutdown', c.name);
    await until(`${c.name} shut off`, 30_000, async () =>
      (await virsh(c.host.pid, 'domstate', c.name)).trim() === 'shut off' ? true : undefined,
    );
    log(`${c.firmware}: shutdown → shut off ${Math.round(performance.now() - t)} ms`);
    assert.match(serialText(c), new RegExp(`VIREO GUEST ${c.hostname} POWEROFF`));
  });
}
