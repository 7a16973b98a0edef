/**
 * Agent requests for libvirt networks and network filters (security groups). The manager sends
 * the whole wanted state of one network or filter; the agent makes the host match it, so every
 * request is idempotent and a host that was offline is brought up to date by re-sending.
 */
import { z } from 'zod';

export const NETWORK_MODES = ['nat', 'isolated', 'bridged'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

/** libvirt network and nwfilter names Vireo makes: safe in XML, file names and iptables chains. */
export const libvirtObjectNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'lowercase letters, digits and -');
/** Linux interface names are at most 15 bytes (IFNAMSIZ - 1). */
export const bridgeNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, 'a Linux interface name');
export const ipv4Schema = z.ipv4();
export const macSchema = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i, 'MAC address must look like 52:54:00:12:34:56.')
  .transform((m) => m.toLowerCase())
  .refine((m) => (Number.parseInt(m.slice(0, 2), 16) & 1) === 0, 'MAC address must be unicast.');
export const dhcpHostSchema = z.object({
  mac: macSchema,
  ip: ipv4Schema,
  hostname: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/)
    .optional(),
});
export type DhcpHost = z.infer<typeof dhcpHostSchema>;

export const networkIpv4Schema = z.object({
  /** The host's address on the network's bridge: the guests' gateway and DHCP server. */
  address: ipv4Schema,
  prefix: z.number().int().min(8).max(30),
  dhcp: z.object({ start: ipv4Schema, end: ipv4Schema }).optional(),
  hosts: z.array(dhcpHostSchema).max(4096),
});

/** An 802.1Q tag: 0 and 4095 are reserved by the standard. */
export const vlanTagSchema = z.number().int().min(1).max(4094);
/**
 * A tagged bridged network: the agent makes the VLAN sub-interface of `parent` (a host NIC or
 * bridge) and a bridge over it (the spec's `bridge`, see vlanInterfaceNames), as Proxmox's
 * "traditional" Linux-bridge VLAN mode does.
 */
export const vlanSchema = z.object({ parent: bridgeNameSchema, tag: vlanTagSchema });
export type VlanSpec = z.infer<typeof vlanSchema>;

export const networkSpecSchema = z
  .object({
    name: libvirtObjectNameSchema,
    mode: z.enum(NETWORK_MODES),
    /** nat/isolated: the bridge libvirt makes; bridged: an existing host bridge, or the VLAN's. */
    bridge: bridgeNameSchema,
    /** nat and isolated only: libvirt runs DHCP (dnsmasq) there; a bridged network has none. */
    ipv4: networkIpv4Schema.optional(),
    /** bridged only: the agent makes `bridge` itself, over a VLAN sub-interface of vlan.parent. */
    vlan: vlanSchema.optional(),
  })
  .refine((n) => (n.mode === 'bridged') === (n.ipv4 === undefined), {
    message: 'nat and isolated networks need ipv4; bridged networks have none',
  })
  .refine((n) => !n.vlan || (n.mode === 'bridged' && n.bridge === vlanInterfaceNames(n.vlan).bridge), {
    message: 'a VLAN is for bridged networks, on the bridge named after its parent and tag',
  });
export type NetworkSpec = z.infer<typeof networkSpecSchema>;

/** A network as the host has it (libvirt's XML and properties). */
export const networkStateSchema = z.object({
  name: z.string(),
  uuid: z.string(),
  active: z.boolean(),
  autostart: z.boolean(),
  persistent: z.boolean(),
  bridge: z.string(),
  /** 'nat' | 'isolated' | 'bridged', or libvirt's forward mode when Vireo has no word for it (e.g. 'route'). */
  mode: z.string(),
  ipv4: networkIpv4Schema.optional(),
});
export type NetworkState = z.infer<typeof networkStateSchema>;

export const dhcpLeaseSchema = z.object({
  mac: z.string(),
  ip: z.string(),
  prefix: z.number().int(),
  hostname: z.string(),
  /** Seconds since the epoch. */
  expiresAt: z.number().int(),
});
export type DhcpLease = z.infer<typeof dhcpLeaseSchema>;

export const SG_DIRECTIONS = ['in', 'out'] as const;
export const SG_PROTOCOLS = ['tcp', 'udp', 'icmp', 'all'] as const;
export const securityRuleSchema = z
  .object({
    /** in: traffic to the guest; out: traffic from it. */
    direction: z.enum(SG_DIRECTIONS),
    protocol: z.enum(SG_PROTOCOLS),
    /** tcp/udp only: the guest's port for `in`, the remote port for `out`. */
    portStart: z.number().int().min(1).max(65535).optional(),
    portEnd: z.number().int().min(1).max(65535).optional(),
    /** The remote side: source for `in`, destination for `out`; omitted = anywhere. */
    cidr: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR like 10.0.0.0/8')
      .optional(),
  })
  .refine((r) => r.portStart !== undefined || r.portEnd === undefined, { message: 'portEnd needs portStart' })
  .refine((r) => r.portEnd === undefined || (r.portStart ?? 0) <= r.portEnd, { message: 'portEnd < portStart' })
  .refine((r) => r.portStart === undefined || r.protocol === 'tcp' || r.protocol === 'udp', {
    message: 'ports only for tcp and udp',
  });
export type SecurityRule = z.infer<typeof securityRuleSchema>;

const byName = z.object({ name: libvirtObjectNameSchema });

export const networkRequests = {
  /** Define, start and autostart the network (idempotent); static DHCP hosts are synced live. */
  'network.ensure': {
    params: z.object({ network: networkSpecSchema }),
    result: z.object({ network: networkStateSchema, created: z.boolean() }),
  },
  /**
   * Stop and undefine; refused (CONFLICT) while a domain on the host has a NIC on it. With `vlan`
   * the VLAN's bridge and sub-interface go too, unless another libvirt network still uses them.
   */
  'network.remove': {
    params: byName.extend({ vlan: vlanSchema.optional() }),
    result: z.object({ removed: z.boolean() }),
  },
  'network.list': { params: z.object({}), result: z.object({ networks: z.array(networkStateSchema) }) },
  'network.leases': { params: byName, result: z.object({ leases: z.array(dhcpLeaseSchema) }) },
  /** Make the network's static DHCP hosts exactly these, live and in its persistent config. */
  'network.setStaticLeases': {
    params: byName.extend({ hosts: z.array(dhcpHostSchema).max(4096) }),
    result: z.object({ added: z.number().int(), removed: z.number().int() }),
  },
  /** Define (or redefine: libvirt re-applies it to running guests' interfaces) a filter. */
  'filter.ensure': {
    params: byName.extend({ rules: z.array(securityRuleSchema).max(500) }),
    result: z.object({}),
  },
  /** Undefine; libvirt refuses while an interface references it. */
  'filter.remove': { params: byName, result: z.object({ removed: z.boolean() }) },
} as const;

/**
 * The libvirt names Vireo gives its objects, in one place: the manager, the agent and the domain
 * XML builder (a NIC's `<source network=…>` and `<filterref filter=…>`) must agree on them.
 * Networks get a prefix so they never clash with a host's own (Debian ships one called `default`).
 */
export function libvirtNetworkName(vireoName: string): string {
  return `vireo-${vireoName}`;
}
export function securityGroupFilterName(groupId: string): string {
  return `vireo-sg-${groupId.toLowerCase()}`;
}

/** FNV-1a, 32 bits: a short stable tag for names (the protocol package also runs in browsers). */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (const c of new TextEncoder().encode(s)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/**
 * The host interfaces of a tagged network, fixed by (parent, tag) so every host and every manager
 * agrees and networks with the same parent and tag share them: the sub-interface `eth0.10`
 * (Linux's own convention) and the bridge `vb-eth0-10` (Proxmox's is `vmbr0v10`). Names longer
 * than Linux's 15 bytes (IFNAMSIZ - 1) use a hash of the parent instead.
 */
export function vlanInterfaceNames(v: VlanSpec): { sub: string; bridge: string } {
  const sub = `${v.parent}.${v.tag}`;
  const bridge = `vb-${v.parent}-${v.tag}`;
  const h = shortHash(v.parent);
  return {
    sub: sub.length <= 15 ? sub : `vl${h}.${v.tag}`,
    bridge: bridge.length <= 15 ? bridge : `vb-${h.slice(0, 6)}-${v.tag}`,
  };
}
