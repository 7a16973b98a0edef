/**
 * The one function through which every libvirt-dbus call goes, and the one place where D-Bus and
 * libvirt errors become VireoErrors.
 *
 * Calls are sent as raw messages with the signature from /usr/share/dbus-1/interfaces/org.libvirt.*.xml
 * rather than through dbus-next proxy objects: a proxy introspects its object first, which would
 * cost a round trip for every domain object we touch.
 */
import dbus from 'dbus-next';
import { VireoError } from '@vireo/protocol';
import { storageErrorOf } from './ops/storage-errors.ts';

export const LIBVIRT_BUS_NAME = 'org.libvirt';
export const IFACE = {
  connect: 'org.libvirt.Connect',
  domain: 'org.libvirt.Domain',
  properties: 'org.freedesktop.DBus.Properties',
} as const;

export interface LibvirtCall {
  /** The bus daemon itself (AddMatch) or, by default, libvirt-dbus. */
  destination?: string;
  path: string;
  iface: string;
  method: string;
  /** D-Bus signature of the in-arguments, '' for none. */
  signature: string;
  args: unknown[];
  /** What Vireo was doing, for the human message: "start domain web-1". */
  what: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * `lost` is aborted when the bus connection dies: dbus-next never settles a call whose reply does
 * not come, so without it a call in flight would wait for its timeout.
 */
export async function callLibvirt(bus: dbus.MessageBus, c: LibvirtCall, lost?: AbortSignal): Promise<unknown[]> {
  const msg = new dbus.Message({
    destination: c.destination ?? LIBVIRT_BUS_NAME,
    path: c.path,
    interface: c.iface,
    member: c.method,
    signature: c.signature,
    body: c.args,
  });
  let timer: NodeJS.Timeout | undefined;
  let onLost: (() => void) | undefined;
  const giveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new VireoError('TIMEOUT', `libvirt did not answer in time (${c.what}).`)),
      c.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    );
    onLost = () => reject(libvirtUnreachable(String(lost?.reason ?? 'the D-Bus connection was lost'), c.what));
    if (lost?.aborted) onLost();
    else lost?.addEventListener('abort', onLost, { once: true });
  });
  try {
    const reply = await Promise.race([bus.call(msg), giveUp]);
    return reply?.body ?? [];
  } catch (err) {
    throw wrapLibvirtError(err, c.what);
  } finally {
    clearTimeout(timer);
    if (onLost) lost?.removeEventListener('abort', onLost);
  }
}

/** The error for every request made while the agent has no working path to libvirt. */
export function libvirtUnreachable(reason: string, what: string): VireoError {
  return new VireoError('LIBVIRT_ERROR', `libvirt is not reachable on this host: ${reason} (${what}).`);
}

/**
 * libvirt-dbus 1.4.1 turns every libvirt error into the D-Bus error `org.libvirt.Error` whose
 * text is libvirt's message (virGetLastErrorMessage); libvirt's numeric code is not carried.
 * Seen here: DomainLookupByUUID of an unknown uuid fails with
 *   type 'org.libvirt.Error', text "Domain not found: no domain with matching uuid '1111…'".
 * So the few cases callers branch on are recognised by libvirt's fixed message prefixes
 * (virerror.c: VIR_ERR_NO_DOMAIN → "Domain not found", VIR_ERR_OPERATION_INVALID →
 * "Requested operation is not valid"), here and only here.
 */
export function wrapLibvirtError(err: unknown, what: string): VireoError {
  if (err instanceof VireoError) return err;
  if (err instanceof dbus.DBusError) {
    const libvirt = { message: err.text ?? err.message };
    if (err.type === 'org.libvirt.Error') {
      // VIR_ERR_XML_INVALID_SCHEMA, from a call made with a *_VALIDATE flag: the same RNG check
      // (and message) as virt-xml-validate.
      if (/^XML document failed to validate against schema\b/.test(libvirt.message)) {
        return new VireoError(
          'BAD_INPUT',
          `The generated XML does not match libvirt's schema (${what}): ${libvirt.message}`,
          {
            libvirt,
          },
        );
      }
      const storage = storageErrorOf(libvirt, what);
      if (storage) return storage;
      if (/^Domain not found\b/.test(libvirt.message)) {
        return new VireoError('NOT_FOUND', `The VM does not exist on this host (${what}).`, {
          object: 'vm',
          libvirt,
        });
      }
      if (/^Requested operation is not valid\b/.test(libvirt.message)) {
        return new VireoError(
          'INVALID_STATE',
          `The VM is not in a state that allows this (${what}): ${libvirt.message}`,
          { object: 'vm', libvirt },
        );
      }
      return new VireoError('LIBVIRT_ERROR', `libvirt refused to ${what}: ${libvirt.message}`, { libvirt });
    }
    // ServiceUnknown (libvirt-dbus not on the bus), NoReply (it left while answering) etc.
    return libvirtUnreachable(`libvirt-dbus did not answer on the system bus (${err.type}: ${libvirt.message})`, what);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new VireoError('LIBVIRT_ERROR', `Could not ${what}: ${message}`, { libvirt: { message } });
}

/** libvirt-dbus names a domain's object by its UUID: /org/libvirt/QEMU/domain/_<uuid with _ for ->. */
export function domainPath(connectPath: string, uuid: string): string {
  return `${connectPath}/domain/_${uuid.replaceAll('-', '_')}`;
}

export function uuidFromDomainPath(path: string): string | null {
  const m = /\/domain\/_([0-9a-f_]{36})$/i.exec(path);
  return m?.[1] ? m[1].replaceAll('_', '-') : null;
}

/**
 * LibvirtDbusHypervisor's one path to libvirt, as the facets (ops/*.ts) receive it: every error
 * already wrapped (wrapLibvirtError).
 */
export type LibvirtCallFn = (
  path: string,
  iface: string,
  method: string,
  signature: string,
  args: unknown[],
  what: string,
  timeoutMs?: number,
) => Promise<unknown[]>;
