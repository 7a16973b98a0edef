/**
 * libvirt's storage errors as Vireo codes. libvirt-dbus 1.4.1 carries only libvirt's message
 * (see wrapLibvirtError), so the cases callers branch on are recognised by libvirt's fixed texts,
 * seen with libvirt 9/10:
 *   "Storage pool not found: no storage pool with matching name 'x'"      (VIR_ERR_NO_STORAGE_POOL)
 *   "Storage volume not found: no storage vol with matching path 'x'"     (VIR_ERR_NO_STORAGE_VOL)
 *   "storage volume 'x' exists already"                                   (VIR_ERR_STORAGE_VOL_EXIST)
 *   "operation failed: pool 'x' already exists with uuid …"               (duplicate pool name)
 *   "operation failed: Storage source conflict with pool: 'x'"            (another pool, same dir)
 *   "Requested operation is not valid: storage pool 'x' is still active"
 *   "cannot extend file '/p/v': No space left on device" (the OS's strerror, via qemu-img or libvirt)
 * Called by wrapLibvirtError before its domain cases, so each error is wrapped once.
 */
import { VireoError } from '@vireo/protocol';
import { storageCodeOfMessage } from '../volumes.ts';

export function storageErrorOf(libvirt: { message: string }, what: string): VireoError | null {
  const m = libvirt.message;
  if (/^Storage pool not found\b/.test(m)) {
    return new VireoError('NOT_FOUND', `The storage pool does not exist on this host (${what}).`, {
      object: 'pool',
      libvirt,
    });
  }
  if (/^Storage volume not found\b/.test(m)) {
    return new VireoError('NOT_FOUND', `The volume does not exist (${what}).`, { object: 'volume', libvirt });
  }
  if (/^storage volume '.*' exists already/.test(m) || /^storage volume already exists\b/i.test(m)) {
    return new VireoError('CONFLICT', `A volume with this name already exists (${what}).`, {
      object: 'volume',
      libvirt,
    });
  }
  if (/pool '.*' already exists|Storage source conflict with pool|pool .* is already defined/i.test(m)) {
    return new VireoError('CONFLICT', `Another storage pool has this name or directory (${what}): ${m}`, {
      object: 'pool',
      libvirt,
    });
  }
  const aboutStorage = /storage pool|storage vol|\bvolume\b/i.test(m);
  if (aboutStorage && /^Requested operation is not valid\b/.test(m)) {
    const object = /storage pool/i.test(m) ? 'pool' : 'volume';
    return new VireoError('INVALID_STATE', `Not possible now (${what}): ${m}`, { object, libvirt });
  }
  const code = storageCodeOfMessage(m);
  if (code !== 'STORAGE_ERROR') return new VireoError(code, `Could not ${what}: ${m}`, { object: 'volume', libvirt });
  return null;
}
