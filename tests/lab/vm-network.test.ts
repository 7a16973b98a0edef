/**
 * VMs made through Vireo's API on Vireo networks, end to end on real lab guests: DHCP addresses
 * shown by Vireo match what the guest prints; guest A pings guest B over the network (commands
 * typed into A's serial root shell); B's security group blocks and unblocks it live; a guest on
 * another network is out of reach; a cloud-init seed sets the hostname and runs user-data, and
 * its ISO goes with the VM. The networks are host networks on one lab host, so placement puts
 * every VM there (a cluster NAT network is a separate bridge and dnsmasq on each host).
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { admin, type Api, rejection, uniqueName, waitTask, defaultTemplate, removeVms } from '../support/api.ts';
import { inHost, lab, virsh, waitFor } from '../support/lab.ts';

let api: Api;
const suffix = randomInt(1000, 9999);
const thirdX = randomInt(10, 120);
const thirdY = thirdX + 100;
const made: string[] = [];
const networkIds: string[] = [];
let groupId: string | undefined;
const h1 = () => lab().hosts[0]!;
const vmDir = () => `${lab().sharedDir}/vms`;
const serialLog = (uuid: string) => `${vmDir()}/${uuid}.serial.log`;
const serial = (uuid: string) => (existsSync(serialLog(uuid)) ? readFileSync(serialLog(uuid), 'utf8') : '');

interface Guest {
  id: string;
  uuid: string;
  name: string;
}
const guests: Record<'a' | 'b' | 'c', Guest | undefined> = { a: undefined, b: undefined, c: undefined };
const hostname = `ci-${suffix}`;

before(async () => {
  ({ api } = await admin());
});

after(async () => {
  await removeVms(api, made);
  if (groupId) await api.network.deleteSecurityGroup.mutate({ groupId }).catch(() => {});
  for (const networkId of networkIds) await api.network.delete.mutate({ networkId }).catch(() => {});
});

async function createGuest(
  prefix: string,
  network: string,
  extra: { securityGroupId?: string; cloudInit?: { hostname: string; userData: string } } = {},
): Promise<Guest> {
  const template = await defaultTemplate(api);
  assert.ok(template);
  const name = uniqueName(prefix);
  const { taskId, vmId } = await api.vm.create.mutate({
    name,
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: true,
    nics: [{ network, model: 'virtio', ...(extra.securityGroupId ? { securityGroupId: extra.securityGroupId } : {}) }],
    ...(extra.cloudInit ? { cloudInit: extra.cloudInit } : {}),
  });
  made.push(vmId);
  const task = await waitTask(api, taskId, 120_000);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  const vm = await api.vm.byId.query({ vmId });
  return { id: vmId, uuid: vm.uuid, name };
}

/** The guest's `NET eth0 <mac> <ip>/<prefix>` line (after DHCP), and Vireo's address for the NIC. */
async function addressOf(g: Guest): Promise<{ mac: string; address: string }> {
  const line = await waitFor(
    `${g.name}'s NET line`,
    async () => /VIREO GUEST \S+ NET eth0 (\S+) (\d+\.\d+\.\d+\.\d+\/\d+)/.exec(serial(g.uuid)),
    150_000,
    500,
  ).catch((err: Error) => {
    // The guest's own words say why (no NET line at all, or `NET eth0 <mac> none`: no DHCP answer).
    throw new Error(
      `${err.message}; its serial log ends:\n${serial(g.uuid)
        .split('\n')
        .filter((l) => !l.includes(' ALIVE ') && l.trim())
        .slice(-20)
        .join('\n')}`,
    );
  });
  const [, mac, address] = line;
  assert.ok(mac && address && address !== 'none');
  const hw = await waitFor(
    `Vireo's address for ${g.name}`,
    async () => {
      const h = await api.vm.hardware.query({ vmId: g.id });
      return h.nics[0]?.addresses.length ? h : null;
    },
    30_000,
    1000,
  );
  assert.equal(hw.addressSource, 'leases');
  assert.equal(hw.nics[0]?.mac, mac, 'the MAC the guest sees is the one Vireo chose');
  assert.deepEqual(hw.nics[0]?.addresses, [address], 'Vireo shows the address the guest took');
  return { mac, address };
}

let typed = 0;
/**
 * Types a command into the guest's serial root shell (through its pty on the host) and returns
 * the exit status it printed. The marker is split in the typed text (`PING''RC`), so the shell's
 * echo of the command line never matches; only the command's own output does.
 */
async function runOnSerial(g: Guest, command: string, timeoutMs = 30_000): Promise<number> {
  const n = ++typed;
  const pty = (await virsh(h1(), 'ttyconsole', g.uuid)).stdout.trim();
  assert.match(pty, /^\/dev\/pts\/\d+$/);
  const line = `${command}; echo VIREO''RC-${suffix}-${n} $?`;
  // Held open a moment before and after writing: qemu polls a pty's slave side about once a second.
  const w = await inHost(h1(), [
    'sh',
    '-c',
    'exec 3>"$1"; sleep 1.2; printf "\\n%s\\n" "$2" >&3; sleep 1.2',
    'sh',
    pty,
    line,
  ]);
  assert.equal(w.code, 0, w.stderr);
  const m = await waitFor(
    `the result of "${command}" on ${g.name}'s serial line`,
    async () => new RegExp(`VIREORC-${suffix}-${n} (\\d+)`).exec(serial(g.uuid)),
    timeoutMs,
    250,
  );
  return Number(m[1]);
}

const ping = (from: Guest, ip: string) => runOnSerial(from, `ping -c 2 -W 2 ${ip} >/dev/null 2>&1`);

test('two VMs on a Vireo NAT network: addresses shown, ping over serial, a security group blocks it live', async () => {
  const cluster = (await api.network.clusters.query())[0];
  assert.ok(cluster);
  const host = (await api.host.list.query()).find((h) => h.name === h1().name);
  assert.ok(host);
  for (const [name, third] of [
    [`vx${suffix}`, thirdX],
    [`vy${suffix}`, thirdY],
  ] as const) {
    const n = await api.network.create.mutate({
      name,
      clusterId: cluster.id,
      scope: 'host',
      hostId: host.id,
      mode: 'nat',
      cidr: `10.198.${third}.0/24`,
      dhcpStart: `10.198.${third}.100`,
      dhcpEnd: `10.198.${third}.200`,
    });
    networkIds.push(n.id);
  }
  const group = await api.network.createSecurityGroup.mutate({
    name: `vmnet-${suffix}`,
    rules: [
      { direction: 'out', protocol: 'all', portStart: null, portEnd: null, cidr: null },
      { direction: 'in', protocol: 'icmp', portStart: null, portEnd: null, cidr: null },
    ],
  });
  groupId = group.id;
  const icmpRule = group.rules.find((r) => r.protocol === 'icmp');
  assert.ok(icmpRule);

  const [a, b, c] = await Promise.all([
    createGuest('neta', `vireo-vx${suffix}`),
    createGuest('netb', `vireo-vx${suffix}`, { securityGroupId: group.id }),
    createGuest('netc', `vireo-vy${suffix}`, {
      cloudInit: { hostname, userData: `#!/bin/sh\necho seeded-${suffix} $(hostname)\n` },
    }),
  ]);
  Object.assign(guests, { a, b, c });

  // libvirt's XML: B's NIC carries the group's filter; C has its seed on a virtio-scsi CD-ROM.
  const bXml = (await virsh(h1(), 'dumpxml', b.uuid)).stdout;
  assert.match(bXml, new RegExp(`<filterref filter='${group.filterName}'/>`));
  const hwB = await api.vm.hardware.query({ vmId: b.id });
  assert.equal(hwB.nics[0]?.securityGroupId, group.id);
  assert.equal(hwB.nics[0]?.securityGroupName, group.name);
  const cXml = (await virsh(h1(), 'dumpxml', c.uuid)).stdout;
  assert.match(
    cXml,
    new RegExp(
      `<source file='${vmDir()}/${c.uuid}\\.seed\\.iso'[^>]*/>\\s*(<backingStore/>\\s*)?<target dev='sd[a-z]' bus='scsi'/>`,
    ),
  );
  assert.match(cXml, /<controller type='scsi' index='0' model='virtio-scsi'>/);

  const [addrA, addrB, addrC] = await Promise.all([addressOf(a), addressOf(b), addressOf(c)]);
  assert.ok(addrA.address.startsWith(`10.198.${thirdX}.`), addrA.address);
  assert.ok(addrB.address.startsWith(`10.198.${thirdX}.`), addrB.address);
  assert.ok(addrC.address.startsWith(`10.198.${thirdY}.`), addrC.address);
  const ipB = addrB.address.split('/')[0]!;
  const ipC = addrC.address.split('/')[0]!;

  assert.equal(await ping(a, ipB), 0, 'A reaches B (icmp allowed in by B’s group)');
  // The separation between networks: C, on the other network, is out of A's reach.
  assert.notEqual(await ping(a, ipC), 0, 'A cannot reach C on another network');

  await api.network.removeRule.mutate({ groupId: group.id, ruleId: icmpRule.id });
  await waitFor('the ping to fail (icmp rule removed)', async () => (await ping(a, ipB)) !== 0, 40_000, 0);
  // Back, now only from A's own address, while both guests keep running.
  const ipA = addrA.address.split('/')[0]!;
  await api.network.addRule.mutate({
    groupId: group.id,
    rule: { direction: 'in', protocol: 'icmp', portStart: null, portEnd: null, cidr: `${ipA}/32` },
  });
  await waitFor('the ping to get through again', async () => (await ping(a, ipB)) === 0, 40_000, 0);
  for (const g of [a, b]) assert.equal((await api.vm.byId.query({ vmId: g.id })).state, 'running');
});

test('cloud-init: the seed hostname and the user-data output on the serial line; the seed ISO goes with the VM', async () => {
  const c = guests.c;
  assert.ok(c, 'the first test made the cloud-init VM');
  const log = await waitFor(
    'the user-data output',
    async () => {
      const s = serial(c.uuid);
      return s.includes(`USERDATA seeded-${suffix}`) && s;
    },
    60_000,
    500,
  );
  assert.match(log, new RegExp(`VIREO GUEST \\S+ CLOUDINIT hostname=${hostname}`));
  assert.match(log, new RegExp(`VIREO GUEST ${hostname} READY`));
  assert.match(log, new RegExp(`USERDATA seeded-${suffix} ${hostname}`));
  assert.match(log, /USERDATA-EXIT 0/);

  const iso = `${vmDir()}/${c.uuid}.seed.iso`;
  assert.ok(existsSync(iso), 'the seed ISO is in the VM dir');
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId: c.id })).taskId);
  const del = await waitTask(api, (await api.vm.delete.mutate({ vmId: c.id })).taskId);
  assert.equal(del.state, 'succeeded', del.errorMessage ?? '');
  assert.equal(existsSync(iso), false, 'deleting the VM removed its seed ISO');
});

test('a bad seed is refused before anything is made; an unknown security group too', async () => {
  const template = await defaultTemplate(api);
  assert.ok(template);
  const base = { templateId: template.id, vcpus: 1, memoryMiB: 128 };
  const bad = await rejection(
    api.vm.create.mutate({ ...base, name: uniqueName('netx'), cloudInit: { hostname: 'not a hostname' } }),
  );
  assert.equal(bad.code, 'BAD_INPUT');
  assert.match(bad.message, /Hostname must be/);
  const noGroup = await rejection(
    api.vm.create.mutate({
      ...base,
      name: uniqueName('netx'),
      nics: [{ network: `vireo-vx${suffix}`, securityGroupId: 'no-such-group' }],
    }),
  );
  assert.equal(noGroup.code, 'NOT_FOUND');
  assert.match(noGroup.message, /security group does not exist/);
});
