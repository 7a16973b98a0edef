/**
 * What VM hardware tests need on every lab host before Vireo can use it: a `default` directory
 * pool on the shared storage and two libvirt networks. Pools and networks are the storage and
 * networks work's to manage through Vireo; until then the tests make them with virsh, the way
 * an admin would, idempotently (one already there is left as it is).
 */
import { type LabHost, lab, virsh } from './lab.ts';

export const TEST_NETWORKS = ['vhw-net1', 'vhw-net2'] as const;

async function must(host: LabHost, ...args: string[]): Promise<string> {
  const r = await virsh(host, ...args);
  if (r.code !== 0) throw new Error(`virsh ${args.join(' ')} on ${host.name}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export const poolDir = () => `${lab().sharedDir}/pool-default`;

export async function ensureDefaultPool(host: LabHost): Promise<void> {
  if ((await virsh(host, 'pool-info', 'default')).code !== 0) {
    await must(host, 'pool-define-as', 'default', 'dir', '--target', poolDir());
    await must(host, 'pool-build', 'default');
  }
  const info = await must(host, 'pool-info', 'default');
  if (!/State:\s+running/.test(info)) await must(host, 'pool-start', 'default');
  await must(host, 'pool-refresh', 'default');
}

/** An isolated network (no addresses, so no DHCP server): a bridge the NICs plug into. */
export async function ensureNetwork(host: LabHost, name: string, bridge: string): Promise<void> {
  if ((await virsh(host, 'net-info', name)).code !== 0) {
    const xml = `<network><name>${name}</name><bridge name='${bridge}' stp='off'/></network>`;
    const file = `${lab().sharedDir}/${host.name}-${name}.xml`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, xml);
    await must(host, 'net-define', file);
  }
  const info = await must(host, 'net-info', name);
  if (!/Active:\s+yes/.test(info)) await must(host, 'net-start', name);
}

export async function ensureHardwareFixtures(): Promise<void> {
  for (const host of lab().hosts) {
    await ensureDefaultPool(host);
    for (const [i, net] of TEST_NETWORKS.entries()) await ensureNetwork(host, net, `vhwbr${i}`);
  }
}

/** Volume names in a host's `default` pool, as libvirt lists them. */
export async function poolVolumes(host: LabHost): Promise<string[]> {
  await must(host, 'pool-refresh', 'default');
  return (await must(host, 'vol-list', 'default'))
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean)
    .sort();
}
