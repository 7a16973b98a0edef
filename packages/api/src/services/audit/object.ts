/**
 * Which object a request acts on, read from its input: the first id field present names it
 * (`vmId` → a VM), several VMs (`vmIds`) are summed up. The name comes from the input
 * (`name`) or, after the call, from a result that has one (a created VM, template, network...).
 */
export interface AuditObject {
  type: string | null;
  id: string | null;
  name: string | null;
}

/** Most specific first: a snapshot of a VM is the snapshot, a VM on a host is the VM. */
const ID_FIELDS: readonly [field: string, type: string][] = [
  ['snapshotId', 'snapshot'],
  ['scheduleId', 'snapshotSchedule'],
  ['tokenId', 'apiToken'],
  ['vmId', 'vm'],
  ['uploadId', 'imageUpload'],
  ['imageId', 'image'],
  ['templateId', 'template'],
  ['networkId', 'network'],
  ['securityGroupId', 'securityGroup'],
  ['poolId', 'storagePool'],
  ['groupId', 'affinityGroup'],
  ['ruleId', 'alertRule'],
  ['alertId', 'alert'],
  ['taskId', 'task'],
  ['userId', 'user'],
  ['hostId', 'host'],
  ['clusterId', 'cluster'],
  ['datacenterId', 'datacenter'],
];

/** The procedure's router when no id field says it: `template.create` → template. */
function typeFromAction(action: string): string | null {
  const head = action.split('.')[0];
  return head && head !== 'auth' ? head : null;
}

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);

export function objectOf(action: string, input: unknown, result?: unknown): AuditObject {
  const i = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const r = result && typeof result === 'object' ? (result as Record<string, unknown>) : {};
  for (const [field, type] of ID_FIELDS) {
    const id = str(i[field]);
    // A result with a name is the object itself (a revoked token, an updated network).
    if (id) return { type, id, name: (type === typeFromAction(action) ? str(i.name) : null) ?? str(r.name) };
  }
  if (Array.isArray(i.vmIds) && i.vmIds.length > 0) {
    const ids = i.vmIds.filter((v): v is string => typeof v === 'string');
    return ids.length === 1
      ? { type: 'vm', id: ids[0] ?? null, name: null }
      : { type: 'vm', id: null, name: `${ids.length} VMs` };
  }
  const name = str(i.name) ?? str(i.username) ?? str(r.name) ?? str(r.username);
  const id = str(r.id);
  if (!name && !id) return { type: null, id: null, name: null };
  return { type: typeFromAction(action), id, name };
}
