/**
 * The host side of a tagged bridged network, as Proxmox's "traditional" Linux-bridge VLAN mode
 * builds it: a VLAN sub-interface of the parent device (`eth0.10`) enslaved to a bridge of its own
 * (`vb-eth0-10`); libvirt then plugs guests into that bridge (forward mode='bridge'). Frames leave
 * the parent tagged and only frames of that tag reach the bridge, untagged.
 *
 * Why iproute2 and not libvirt: libvirt has no API for host interfaces other than virInterface,
 * and defining one needs the netcf backend. Debian 12's libvirt ships only the read-only udev
 * backend: in the lab `virsh iface-define` and libvirt-dbus's Connect.InterfaceDefineXML both
 * answer "this function is not supported by the connection driver: virInterfaceDefineXML"
 * (ListInterfaces works, read-only). And libvirt refuses `<vlan>` on a plain-bridge network.
 *
 * Every step looks first and changes only what differs, so ensure and remove are idempotent and
 * two at once (a host coming online while an admin creates the network) both end well.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { VireoError, type VlanSpec, vlanInterfaceNames } from '@vireo/protocol';
import type { Logger } from './logger.ts';

const exec = promisify(execFile);

/**
 * The alias Vireo gives the devices it makes. Remove deletes only devices that carry it: an
 * admin's own `eth0.10` that Vireo found and reused stays, or the host could lose its uplink.
 */
export const VIREO_MADE_ALIAS = 'vireo-made';

export interface HostVlans {
  /** Make (or check) the sub-interface and its bridge, both up; the bridge's name. */
  ensure(v: VlanSpec): Promise<{ bridge: string; created: boolean }>;
  /** Delete the bridge and the sub-interface; false when neither was there. */
  remove(v: VlanSpec): Promise<boolean>;
}

/** What `ip -d -j link show` says about one link (only the fields read here). */
interface IpLink {
  ifname: string;
  link?: string;
  master?: string;
  ifalias?: string;
  operstate?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; protocol?: string } };
}

/** Runs `ip ARGS`; stdout, or a rejection carrying ip's stderr. */
export type IpRunner = (args: string[]) => Promise<string>;

const runIp: IpRunner = async (args) => (await exec('ip', args, { timeout: 10_000 })).stdout;

const ipMessage = (err: unknown) => String((err as { stderr?: string }).stderr || (err as Error).message || err).trim();

export function ipVlans(logger: Logger, ip: IpRunner = runIp): HostVlans {
  async function show(name: string): Promise<IpLink | null> {
    try {
      const [link] = JSON.parse(await ip(['-d', '-j', 'link', 'show', 'dev', name])) as IpLink[];
      return link ?? null;
    } catch (err) {
      if (/does not exist|Cannot find device/i.test(ipMessage(err))) return null;
      throw hostError(`read device ${name}`, err);
    }
  }

  function hostError(what: string, err: unknown): VireoError {
    const m = ipMessage(err);
    // Linux without CONFIG_VLAN_8021Q (the 8021q module) knows no "vlan" link type.
    if (/Unknown device type/i.test(m))
      return new VireoError(
        'INVALID_STATE',
        `This host's kernel cannot make VLAN devices (no 802.1Q support, module 8021q): ${what}: ${m}`,
        { object: 'host' },
      );
    return new VireoError('INTERNAL', `Could not ${what} on this host: ${m}`, { object: 'host' });
  }

  async function run(what: string, args: string[]): Promise<void> {
    try {
      await ip(args);
    } catch (err) {
      throw hostError(what, err);
    }
  }

  /** Add a link unless it exists, marked as Vireo's; a concurrent add that won the race is fine. */
  async function add(name: string, what: string, args: string[]): Promise<boolean> {
    if (await show(name)) return false;
    try {
      await ip(args);
      await run(`mark ${name} as made by Vireo`, ['link', 'set', 'dev', name, 'alias', VIREO_MADE_ALIAS]);
      return true;
    } catch (err) {
      if (/File exists/i.test(ipMessage(err)) && (await show(name))) return false;
      throw hostError(what, err);
    }
  }

  const isUp = (l: IpLink | null) => Boolean(l?.flags?.includes('UP'));

  return {
    async ensure(v) {
      const { sub, bridge } = vlanInterfaceNames(v);
      const parent = await show(v.parent);
      if (!parent)
        throw new VireoError('INVALID_STATE', `This host has no network device ${v.parent} to carry VLAN ${v.tag}.`, {
          object: 'host',
        });
      const subMade = await add(sub, `make VLAN ${v.tag} on ${v.parent}`, [
        'link',
        'add',
        'link',
        v.parent,
        'name',
        sub,
        'type',
        'vlan',
        'id',
        String(v.tag),
      ]);
      const s = await show(sub);
      if (s?.linkinfo?.info_kind !== 'vlan' || s.linkinfo.info_data?.id !== v.tag || s.link !== v.parent) {
        throw new VireoError('CONFLICT', `Device ${sub} exists on this host but is not VLAN ${v.tag} of ${v.parent}.`, {
          object: 'host',
        });
      }
      let bridgeMade = false;
      try {
        bridgeMade = await add(bridge, `make bridge ${bridge}`, ['link', 'add', 'name', bridge, 'type', 'bridge']);
        const b = await show(bridge);
        if (b?.linkinfo?.info_kind !== 'bridge') {
          throw new VireoError('CONFLICT', `Device ${bridge} exists on this host but is not a bridge.`, {
            object: 'host',
          });
        }
        if (s.master !== bridge) await run(`put ${sub} in ${bridge}`, ['link', 'set', 'dev', sub, 'master', bridge]);
        if (!isUp(s)) await run(`bring ${sub} up`, ['link', 'set', 'dev', sub, 'up']);
        if (!isUp(b)) await run(`bring ${bridge} up`, ['link', 'set', 'dev', bridge, 'up']);
      } catch (err) {
        // Leave nothing half-made that this call made.
        if (bridgeMade) await ip(['link', 'del', 'dev', bridge]).catch(() => {});
        if (subMade) await ip(['link', 'del', 'dev', sub]).catch(() => {});
        throw err;
      }
      if (subMade || bridgeMade) logger.info('VLAN bridge made', { parent: v.parent, tag: v.tag, sub, bridge });
      return { bridge, created: subMade || bridgeMade };
    },

    async remove(v) {
      const { sub, bridge } = vlanInterfaceNames(v);
      let removed = false;
      const ours = (l: IpLink | null) => l?.ifalias === VIREO_MADE_ALIAS;
      const b = await show(bridge);
      if (b?.linkinfo?.info_kind === 'bridge' && ours(b)) {
        await run(`delete bridge ${bridge}`, ['link', 'del', 'dev', bridge]);
        removed = true;
      }
      // Only a sub-interface of this VLAN: a device of that name that is something else is not ours.
      const s = await show(sub);
      if (s?.linkinfo?.info_kind === 'vlan' && s.linkinfo.info_data?.id === v.tag && s.link === v.parent && ours(s)) {
        await run(`delete ${sub}`, ['link', 'del', 'dev', sub]);
        removed = true;
      }
      if (removed) logger.info('VLAN bridge removed', { parent: v.parent, tag: v.tag, sub, bridge });
      return removed;
    },
  };
}
