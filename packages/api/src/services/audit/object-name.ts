/**
 * The name of an object an audit entry names only by id (`vm.start` carries `vmId`): looked up
 * once, for the kinds an admin searches by name. Best effort: a lookup that fails leaves the
 * name empty rather than the entry unwritten.
 */
import { clusters, hosts, templates, vms } from '@vireo/db';

const LOOKUP: Record<string, (id: string) => Promise<{ name: string } | null>> = {
  vm: vms.byId,
  host: hosts.byId,
  cluster: clusters.byId,
  template: templates.byId,
};

export async function lookUpName(type: string | null, id: string | null): Promise<string | null> {
  const lookup = type ? LOOKUP[type] : undefined;
  if (!lookup || !id) return null;
  try {
    return (await lookup(id))?.name ?? null;
  } catch {
    return null;
  }
}
