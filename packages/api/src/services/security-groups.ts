/**
 * Security groups: each is one libvirt nwfilter (`vireo-sg-<id>`) defined on every host, so any
 * NIC on any host can reference it. A change redefines the filter on every online host; libvirt
 * re-applies a redefined filter to the running guests' interfaces at once (verified in the lab:
 * the guest's iptables chain changed without touching the guest). Offline hosts get the current
 * rules when they come back (networks.ts, reapplyToHost).
 */
import {
  DbConflictError,
  DbNotFoundError,
  hosts,
  networks,
  type SecurityGroupRecord,
  type SecurityRuleInput,
  type SecurityRuleRecord,
} from '@vireo/db';
import { type SecurityRule, securityGroupFilterName, VireoError, toErrorPayload } from '@vireo/protocol';
import { hostAgent } from './agent-router.ts';
import { parseCidr, formatCidr } from './network-ipam.ts';

const AGENT_TIMEOUT_MS = 30_000;

export function toRules(rules: SecurityRuleRecord[] | SecurityRuleInput[]): SecurityRule[] {
  return rules.map((r) => ({
    direction: r.direction,
    protocol: r.protocol,
    ...(r.portStart !== null ? { portStart: r.portStart } : {}),
    ...(r.portEnd !== null ? { portEnd: r.portEnd } : {}),
    ...(r.cidr !== null ? { cidr: r.cidr } : {}),
  }));
}

export interface SecurityGroupView extends SecurityGroupRecord {
  filterName: string;
}
const view = (g: SecurityGroupRecord): SecurityGroupView => ({ ...g, filterName: securityGroupFilterName(g.id) });

/** A rule as the admin typed it, normalised: the CIDR to its network address, ports only where they mean something. */
export function normaliseRule(r: SecurityRuleInput): SecurityRuleInput {
  const ports = r.protocol === 'tcp' || r.protocol === 'udp';
  if (!ports && (r.portStart !== null || r.portEnd !== null)) {
    throw new VireoError('BAD_INPUT', `Ports are for tcp and udp rules only, not ${r.protocol}.`, {
      object: 'securityGroup',
    });
  }
  if (r.portEnd !== null && (r.portStart === null || r.portEnd < r.portStart)) {
    throw new VireoError('BAD_INPUT', 'A port range needs a start no greater than its end.', {
      object: 'securityGroup',
    });
  }
  let cidr = r.cidr;
  if (cidr !== null) {
    // Rules may name a single address (/32) or any range, unlike networks.
    const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
    const prefix = Number(m?.[2] ?? -1);
    if (!m || prefix < 0 || prefix > 32) {
      throw new VireoError('BAD_INPUT', `${cidr} is not an IPv4 CIDR like 10.0.0.0/8.`, { object: 'securityGroup' });
    }
    cidr = prefix >= 8 && prefix <= 30 ? formatCidr(parseCidr(`${m[1]}/${prefix}`)) : `${m[1]}/${prefix}`;
    if (cidr === '0.0.0.0/0') cidr = null;
  }
  return { ...r, cidr, portEnd: r.portEnd === r.portStart ? null : r.portEnd };
}

/** Define the group's filter on every online host; the first refusal is reported. */
async function applyEverywhere(g: SecurityGroupRecord): Promise<void> {
  const failures: string[] = [];
  for (const h of await hosts.list()) {
    if (h.status !== 'online') continue;
    try {
      const agent = await hostAgent(h.id, h.name);
      await agent.request(
        'filter.ensure',
        { name: securityGroupFilterName(g.id), rules: toRules(g.rules) },
        { timeoutMs: AGENT_TIMEOUT_MS },
      );
    } catch (err) {
      if (VireoError.is(err, 'HOST_OFFLINE') || VireoError.is(err, 'HOST_UNREACHABLE')) continue;
      failures.push(`${h.name}: ${toErrorPayload(err).message}`);
    }
  }
  if (failures.length > 0) {
    throw new VireoError(
      'LIBVIRT_ERROR',
      `Security group ${g.name} was saved but not applied on ${failures.join('; ')}`,
      {
        object: 'securityGroup',
      },
    );
  }
}

export async function listGroups(): Promise<SecurityGroupView[]> {
  return (await networks.listGroups()).map(view);
}

export async function createGroup(input: {
  name: string;
  description: string;
  rules: SecurityRuleInput[];
}): Promise<SecurityGroupView> {
  let g: SecurityGroupRecord;
  try {
    g = await networks.createGroup({ ...input, rules: input.rules.map(normaliseRule) });
  } catch (err) {
    if (DbConflictError.is(err)) {
      throw new VireoError('CONFLICT', `A security group named ${input.name} already exists.`, {
        object: 'securityGroup',
      });
    }
    throw err;
  }
  await applyEverywhere(g);
  return view(g);
}

export async function addRule(groupId: string, rule: SecurityRuleInput): Promise<SecurityGroupView> {
  let g: SecurityGroupRecord;
  try {
    g = await networks.addRule(groupId, normaliseRule(rule));
  } catch (err) {
    if (DbNotFoundError.is(err)) throw notFound();
    throw err;
  }
  await applyEverywhere(g);
  return view(g);
}

export async function removeRule(groupId: string, ruleId: string): Promise<SecurityGroupView> {
  const g = await networks.removeRule(groupId, ruleId);
  if (!g) throw notFound();
  await applyEverywhere(g);
  return view(g);
}

/** libvirt refuses to undefine a filter a NIC references: that refusal is the in-use check. */
export async function deleteGroup(groupId: string): Promise<void> {
  const g = await networks.groupById(groupId);
  if (!g) throw notFound();
  let removedSomewhere = false;
  for (const h of await hosts.list()) {
    if (h.status !== 'online') continue;
    try {
      const agent = await hostAgent(h.id, h.name);
      await agent.request('filter.remove', { name: securityGroupFilterName(g.id) }, { timeoutMs: AGENT_TIMEOUT_MS });
      removedSomewhere = true;
    } catch (err) {
      if (VireoError.is(err, 'HOST_OFFLINE') || VireoError.is(err, 'HOST_UNREACHABLE')) continue;
      // Put it back where it was already removed, so the group stays whole.
      if (removedSomewhere) await applyEverywhere(g).catch((e) => console.warn(`[security group ${g.name}] redo:`, e));
      const p = toErrorPayload(err);
      throw new VireoError('CONFLICT', `Host ${h.name} refused to remove security group ${g.name}: ${p.message}`, {
        object: 'securityGroup',
        ...(p.libvirt ? { libvirt: p.libvirt } : {}),
      });
    }
  }
  await networks.deleteGroup(g.id);
}

const notFound = () =>
  new VireoError('NOT_FOUND', 'That security group does not exist (any more).', { object: 'securityGroup' });
