/**
 * VM snapshots over libvirt-dbus: Domain.{SnapshotCreateXML, ListDomainSnapshots,
 * SnapshotLookupByName} and org.libvirt.DomainSnapshot (libvirt-dbus 1.4.1,
 * /usr/share/dbus-1/interfaces/org.libvirt.{Domain,DomainSnapshot}.xml).
 *
 * Vireo takes only INTERNAL snapshots (inside each qcow2 file), measured on the lab's libvirt 9.0:
 * - external disk-only snapshots are created, but `virsh snapshot-revert` of one fails with
 *   "revert to external snapshot not supported yet" and deleting one after a revert fails with
 *   "could not find base disk source in disk source chain": a kind we could not take back is not
 *   offered;
 * - an internal snapshot of a running VM must include memory (libvirt: "internal snapshot of a
 *   running VM must include the memory state"), so "with memory" means a running VM (QEMU savevm)
 *   and "disk only" a shut-off one (qemu-img snapshot);
 * - refused kinds, with libvirt's texts: a raw disk ("internal snapshot for disk vdb unsupported
 *   for storage type raw"), UEFI with memory ("internal snapshots of a VM with pflash based
 *   firmware are not supported"). A read-only CD-ROM is simply left out (`snapshot='no'`).
 * The snapshot name is QEMU's snapshot tag too, so a snapshot cannot be renamed in libvirt.
 */
import { type SnapshotInfo, VireoError } from '@vireo/protocol';
import type { LibvirtCallFn } from '../libvirt-call.ts';
import { domainPath } from '../libvirt-call.ts';
import { attr, child, escapeXml, parseXml, text } from '../xml/common.ts';

export interface SnapshotCreate {
  name: string;
  description?: string | undefined;
  withMemory: boolean;
}

export interface SnapshotOps {
  list(uuid: string): Promise<SnapshotInfo[]>;
  create(uuid: string, s: SnapshotCreate): Promise<void>;
  /** `start`: boot a disk-only snapshot; `paused`: leave a memory snapshot paused. */
  revert(uuid: string, name: string, opts?: { start?: boolean; paused?: boolean }): Promise<void>;
  /** Deletes one snapshot (its data merges into its children, which move to its parent). */
  remove(uuid: string, name: string): Promise<void>;
  describe(uuid: string, name: string, description: string): Promise<void>;
}

const SNAPSHOT_IFACE = 'org.libvirt.DomainSnapshot';
const DOMAIN_IFACE = 'org.libvirt.Domain';

/** https://libvirt.org/html/libvirt-libvirt-domain-snapshot.html#virDomainSnapshotCreateFlags */
export const VIR_DOMAIN_SNAPSHOT_CREATE = { REDEFINE: 1, CURRENT: 2, ATOMIC: 128 } as const;
/** https://libvirt.org/html/libvirt-libvirt-domain-snapshot.html#virDomainSnapshotRevertFlags */
export const VIR_DOMAIN_SNAPSHOT_REVERT = { RUNNING: 1, PAUSED: 2, FORCE: 4 } as const;

/** Snapshot XML (no domain inside) → our shape; `current` comes from IsCurrent. */
export function parseSnapshotXml(snapshotXml: string, current: boolean): SnapshotInfo {
  const root = child(parseXml(snapshotXml), 'domainsnapshot');
  const name = text(child(root, 'name')) ?? String((root as Record<string, unknown> | undefined)?.name ?? '');
  const parent = child(root, 'parent');
  const created = Number(text(child(root, 'creationTime')) ?? (root as Record<string, unknown>)?.creationTime ?? 0);
  const memory = attr(child(root, 'memory'), 'snapshot');
  return {
    name,
    description: text(child(root, 'description')) ?? stringField(root, 'description') ?? '',
    parent: parent ? (text(child(parent, 'name')) ?? stringField(parent, 'name') ?? null) : null,
    state: text(child(root, 'state')) ?? stringField(root, 'state') ?? 'unknown',
    withMemory: memory === 'internal' || memory === 'external',
    createdAt: Number.isFinite(created) ? created * 1000 : 0,
    current,
  };
}

function stringField(node: unknown, name: string): string | undefined {
  const v = (node as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
}

/** The `<description>` of a snapshot's full XML set to `description` (for a REDEFINE). */
export function withDescription(snapshotXml: string, description: string): string {
  const el = `<description>${escapeXml(description)}</description>`;
  if (/<description>[\s\S]*?<\/description>|<description\/>/.test(snapshotXml.split('<domain ')[0] ?? '')) {
    return snapshotXml.replace(/<description>[\s\S]*?<\/description>|<description\/>/, el);
  }
  return snapshotXml.replace(/(<domainsnapshot>\s*<name>[^<]*<\/name>)/, `$1\n  ${el}`);
}

/** The XML a create sends: internal disks, memory with the disks when asked. */
export function buildSnapshotXml(s: SnapshotCreate): string {
  const desc = s.description ? `<description>${escapeXml(s.description)}</description>` : '';
  const memory = s.withMemory ? "<memory snapshot='internal'/>" : "<memory snapshot='no'/>";
  return `<domainsnapshot><name>${escapeXml(s.name)}</name>${desc}${memory}</domainsnapshot>`;
}

/** libvirt's refusals of a snapshot kind, as our codes (libvirt-dbus carries only the message). */
function kindRefused(err: unknown): VireoError | null {
  if (!VireoError.is(err)) return null;
  const m = err.libvirt?.message ?? '';
  const refuse = (message: string) =>
    new VireoError('INVALID_STATE', message, { object: 'snapshot', ...(err.libvirt ? { libvirt: err.libvirt } : {}) });
  if (/unsupported for storage type raw/.test(m)) {
    return refuse(
      'This VM has a raw disk, which cannot hold snapshots: only VMs whose disks are all qcow2 can be snapshotted.',
    );
  }
  if (/pflash based firmware/.test(m)) {
    return refuse(
      'A snapshot with memory is not possible for a UEFI VM (libvirt cannot save its firmware variables with it): shut the VM down and take a disk-only snapshot.',
    );
  }
  if (/must include the memory state/.test(m)) {
    return refuse('A disk-only snapshot of a running VM is not supported: shut the VM down first, or include memory.');
  }
  // libvirt 9.0: "operation failed: domain moment a already exists" (a snapshot is a "moment").
  if (/domain (moment|snapshot) .* already exists/.test(m)) {
    return new VireoError('CONFLICT', 'The VM already has a snapshot with this name.', {
      object: 'snapshot',
      ...(err.libvirt ? { libvirt: err.libvirt } : {}),
    });
  }
  if (/^Domain snapshot not found\b|no domain snapshot with matching name/.test(m)) {
    return new VireoError('NOT_FOUND', 'The VM has no snapshot with this name.', {
      object: 'snapshot',
      ...(err.libvirt ? { libvirt: err.libvirt } : {}),
    });
  }
  return null;
}

export class LibvirtSnapshotOps implements SnapshotOps {
  constructor(
    private readonly call: LibvirtCallFn,
    private readonly connectPath: string,
  ) {}

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw kindRefused(err) ?? err;
    }
  }

  private async pathOf(uuid: string, name: string): Promise<string> {
    const [path] = await this.guarded(() =>
      this.call(
        domainPath(this.connectPath, uuid),
        DOMAIN_IFACE,
        'SnapshotLookupByName',
        'su',
        [name, 0],
        `find snapshot ${name}`,
      ),
    );
    return String(path);
  }

  private async read(path: string): Promise<SnapshotInfo> {
    // The domain inside the snapshot XML is not needed: VIR_DOMAIN_SNAPSHOT_XML_SECURE(1) is the
    // only flag and no flag drops it, so the XML is read whole and only the top is parsed.
    const [[xml], [current]] = await Promise.all([
      this.call(path, SNAPSHOT_IFACE, 'GetXMLDesc', 'u', [0], 'read snapshot'),
      this.call(path, SNAPSHOT_IFACE, 'IsCurrent', 'u', [0], 'read snapshot'),
    ]);
    return parseSnapshotXml(topOf(String(xml)), Boolean(current));
  }

  async list(uuid: string): Promise<SnapshotInfo[]> {
    const [paths] = await this.call(
      domainPath(this.connectPath, uuid),
      DOMAIN_IFACE,
      'ListDomainSnapshots',
      'u',
      [0],
      'list snapshots',
    );
    // Read at once: libvirt-dbus answers calls concurrently, and a revert or create waits for this.
    const read = await Promise.all(
      ((paths as string[]) ?? []).map(async (p) => {
        try {
          return await this.read(p);
        } catch (err) {
          // Deleted between the list and the read (another request): not there any more.
          if (!VireoError.is(kindRefused(err), 'NOT_FOUND')) throw err;
          return null;
        }
      }),
    );
    const out = read.filter((s): s is SnapshotInfo => s !== null);
    return out.sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  }

  async create(uuid: string, s: SnapshotCreate): Promise<void> {
    await this.guarded(() =>
      this.call(
        domainPath(this.connectPath, uuid),
        DOMAIN_IFACE,
        'SnapshotCreateXML',
        'su',
        [buildSnapshotXml(s), VIR_DOMAIN_SNAPSHOT_CREATE.ATOMIC],
        `create snapshot ${s.name}`,
        // savevm writes the guest's RAM into the qcow2 file: slow storage, big guests.
        10 * 60_000,
      ),
    );
  }

  async revert(uuid: string, name: string, opts: { start?: boolean; paused?: boolean } = {}): Promise<void> {
    const path = await this.pathOf(uuid, name);
    const R = VIR_DOMAIN_SNAPSHOT_REVERT;
    const flags = opts.paused ? R.PAUSED : opts.start ? R.RUNNING : 0;
    await this.guarded(() =>
      this.call(path, SNAPSHOT_IFACE, 'Revert', 'u', [flags], `revert to snapshot ${name}`, 10 * 60_000),
    );
  }

  async remove(uuid: string, name: string): Promise<void> {
    const path = await this.pathOf(uuid, name);
    await this.guarded(() =>
      this.call(path, SNAPSHOT_IFACE, 'Delete', 'u', [0], `delete snapshot ${name}`, 10 * 60_000),
    );
  }

  async describe(uuid: string, name: string, description: string): Promise<void> {
    const path = await this.pathOf(uuid, name);
    const [xml] = await this.call(path, SNAPSHOT_IFACE, 'GetXMLDesc', 'u', [0], `read snapshot ${name}`);
    const [current] = await this.call(path, SNAPSHOT_IFACE, 'IsCurrent', 'u', [0], `read snapshot ${name}`);
    const C = VIR_DOMAIN_SNAPSHOT_CREATE;
    // REDEFINE replaces the metadata only (the qcow2 data stays); CURRENT keeps it current.
    await this.guarded(() =>
      this.call(
        domainPath(this.connectPath, uuid),
        DOMAIN_IFACE,
        'SnapshotCreateXML',
        'su',
        [withDescription(String(xml), description), C.REDEFINE | (current ? C.CURRENT : 0)],
        `describe snapshot ${name}`,
      ),
    );
  }
}

/** The snapshot's own elements, without the (large) domain definition it embeds. */
function topOf(snapshotXml: string): string {
  const at = snapshotXml.indexOf('<domain ');
  return at < 0 ? snapshotXml : `${snapshotXml.slice(0, at)}</domainsnapshot>`;
}
