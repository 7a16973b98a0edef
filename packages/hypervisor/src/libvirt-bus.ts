/**
 * The D-Bus connection to libvirt-dbus, kept working across the two ways it breaks:
 *
 * - The bus connection ends (dbus-daemon restarted, socket closed). Our match rules die with it:
 *   open a new connection and add them again.
 * - libvirt-dbus restarts (org.libvirt gets a new owner). Our match rules survive, because
 *   dbus-daemon checks sender='org.libvirt' against the name's owner at delivery time, but the new
 *   libvirt-dbus opens its libvirt connection, and with it its libvirt event callbacks, only on the
 *   first call for a driver (libvirt-dbus 1.4.1 connects lazily). Seen in the lab: after
 *   restarting libvirt-dbus, `virsh start` + `virsh destroy` produced no DomainEvent signal; after
 *   one Get(LibVersion) on /org/libvirt/QEMU the same pair produced 4.
 *
 * - libvirtd restarts behind a live libvirt-dbus: nothing on the bus changes; the owner notices
 *   (libvirtd-identity.ts) and calls restarted(), which is handled like a libvirt-dbus restart.
 *
 * Either way events were missed meanwhile, so onChange({ up: true }) tells the owner to re-read
 * everything. While down, calls fail at once with a clear LIBVIRT_ERROR instead of waiting for a
 * reply that will not come.
 */
import { EventEmitter } from 'node:events';
import dbus from 'dbus-next';
import type { HypervisorConnection } from './hypervisor.ts';
import { IFACE, LIBVIRT_BUS_NAME, type LibvirtCall, callLibvirt, libvirtUnreachable } from './libvirt-call.ts';

export interface LibvirtBusOptions {
  /** /org/libvirt/QEMU etc.: the driver whose DomainEvent signals we follow. */
  connectPath: string;
  /** Bus factory, for tests; defaults to the system bus. Called again after the bus is lost. */
  bus?: () => dbus.MessageBus;
  /** Reconnect delays: doubling from initialMs, capped at maxMs (with jitter). */
  backoff?: { initialMs: number; maxMs: number };
  /** Every message from the bus except the ones handled here. */
  onMessage: (msg: dbus.Message) => void;
  /** Transitions only: lost (with why) and back. */
  onChange: (c: HypervisorConnection) => void;
  /** Errors no caller is waiting for (a bus error); recovery follows on its own. */
  onError: (err: Error) => void;
}

const BUS_DAEMON = 'org.freedesktop.DBus';
/** Activating libvirt-dbus and its first libvirt connection can take a while; a dead one cannot. */
const CONNECT_TIMEOUT_MS = 15_000;

export class LibvirtBus {
  private bus: dbus.MessageBus | undefined;
  /** Aborted when `bus` dies, so its calls in flight fail at once. */
  private busLost = new AbortController();
  /** Why libvirt is unreachable; undefined while it is reachable. */
  private down: string | undefined = 'not connected yet';
  /** Counts losses, so a recovery that overlapped a new loss does not report "up". */
  private losses = 0;
  private opened = false;
  private closed = false;
  private recovering = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: LibvirtBusOptions) {}

  /** The first connection. No retry: if nothing ever worked, the caller should say so at once. */
  async open(): Promise<void> {
    await this.establish();
    this.opened = true;
  }

  close(): void {
    this.closed = true;
    this.down = 'the connection to libvirt was closed';
    clearTimeout(this.timer);
    const bus = this.bus;
    this.bus = undefined;
    this.busLost.abort(this.down);
    bus?.disconnect();
  }

  /**
   * libvirtd was restarted behind libvirt-dbus: call libvirt-dbus at once so it reopens its
   * libvirt connection and event callbacks, then report up (→ the owner resyncs what the gap
   * hid). Requests are not refused meanwhile: libvirt-dbus reconnects on any call (seen in the
   * lab: marking the link down here failed a request that raced the check). Only if that call
   * fails is the link down, and recovered as any other loss.
   */
  restarted(reason: string): void {
    if (!this.opened || this.closed || this.down !== undefined || this.recovering) return;
    const losses = this.losses;
    this.establish().then(
      () => {
        if (!this.closed && losses === this.losses) this.o.onChange({ up: true });
      },
      () => {
        if (!this.closed && losses === this.losses) this.markDown(reason);
      },
    );
  }

  call(c: LibvirtCall): Promise<unknown[]> {
    if (this.down !== undefined || !this.bus) {
      return Promise.reject(libvirtUnreachable(this.down ?? 'no D-Bus connection', c.what));
    }
    return callLibvirt(this.bus, c, this.busLost.signal);
  }

  // ---- (re)connecting ------------------------------------------------------------------------

  /** A bus (a new one if the old is gone), then the call that makes libvirt-dbus connect to libvirt. */
  private async establish(): Promise<void> {
    const losses = this.losses;
    const bus = this.bus ?? (await this.openBus());
    await callLibvirt(
      bus,
      {
        path: this.o.connectPath,
        iface: IFACE.properties,
        method: 'Get',
        signature: 'ss',
        args: [IFACE.connect, 'LibVersion'],
        what: 'connect to libvirt',
        timeoutMs: CONNECT_TIMEOUT_MS,
      },
      this.busLost.signal,
    );
    if (losses !== this.losses) throw new Error('lost again while reconnecting');
    this.down = undefined;
  }

  private async openBus(): Promise<dbus.MessageBus> {
    const bus = (this.o.bus ?? (() => dbus.systemBus()))();
    this.bus = bus;
    this.busLost = new AbortController();
    // dbus-next: "after receiving an error event, the MessageBus may be disconnected", with no way
    // to tell; a fresh connection (and a resync) is the safe answer to any of them.
    bus.on('error', (err: Error) => {
      if (bus === this.bus) this.o.onError(err);
      this.onBusLost(bus, `the D-Bus connection failed: ${err.message}`);
    });
    connectionOf(bus)?.on('end', () => this.onBusLost(bus, 'the D-Bus connection was closed'));
    bus.on('message', (msg: dbus.Message) => {
      if (bus === this.bus) this.onMessage(msg);
    });
    try {
      for (const rule of this.matchRules()) await callLibvirt(bus, addMatch(rule), this.busLost.signal);
    } catch (err) {
      this.onBusLost(bus, 'could not subscribe to D-Bus signals');
      throw err;
    }
    return bus;
  }

  private matchRules(): string[] {
    return [
      // sender= the well-known name: dbus-daemon resolves it to libvirt-dbus' current unique name.
      `type='signal',sender='${LIBVIRT_BUS_NAME}',interface='${IFACE.connect}',member='DomainEvent',path='${this.o.connectPath}'`,
      `type='signal',sender='${BUS_DAEMON}',interface='${BUS_DAEMON}',member='NameOwnerChanged',arg0='${LIBVIRT_BUS_NAME}'`,
    ];
  }

  private scheduleRecovery(now = false): void {
    if (!this.opened || this.closed || this.recovering) return;
    if (this.timer && !now) return; // one is already due
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.recover();
      },
      now ? 0 : this.nextDelay(),
    );
  }

  private async recover(): Promise<void> {
    this.recovering = true;
    try {
      await this.establish();
    } catch {
      // The reason stays the loss that started this; callers see it, and the next try follows.
      this.recovering = false;
      this.scheduleRecovery();
      return;
    }
    this.recovering = false;
    this.attempt = 0;
    if (!this.closed) this.o.onChange({ up: true });
  }

  /** "Equal jitter", as the manager link does: hosts that lost libvirt together do not retry in step. */
  private nextDelay(): number {
    const { initialMs, maxMs } = this.o.backoff ?? { initialMs: 250, maxMs: 5000 };
    const base = Math.min(maxMs, initialMs * 2 ** this.attempt++);
    return Math.round(base / 2 + Math.random() * (base / 2));
  }

  // ---- noticing loss -------------------------------------------------------------------------

  private onBusLost(bus: dbus.MessageBus, reason: string): void {
    if (bus !== this.bus) return; // the last words of a connection already replaced
    this.bus = undefined;
    this.busLost.abort(reason);
    bus.disconnect();
    this.markDown(reason);
  }

  private markDown(reason: string): void {
    this.losses++;
    const wasUp = this.down === undefined;
    this.down = reason;
    if (wasUp && this.opened) this.o.onChange({ up: false, reason });
    this.scheduleRecovery();
  }

  private onMessage(msg: dbus.Message): void {
    if (!isLibvirtOwnerChange(msg)) {
      this.o.onMessage(msg);
    } else if (!(msg.body as string[])[2]) {
      this.markDown('libvirt-dbus left the system bus');
    } else {
      // A new libvirt-dbus (restarted, or activated by our own retry) sends no events until called.
      this.attempt = 0;
      if (this.down === undefined) this.markDown('libvirt-dbus restarted');
      else this.scheduleRecovery(true);
    }
  }
}

/** NameOwnerChanged(name, oldOwner, newOwner) for org.libvirt; newOwner '' = it left the bus. */
function isLibvirtOwnerChange(msg: dbus.Message): boolean {
  return (
    msg.type === dbus.MessageType.SIGNAL &&
    msg.sender === BUS_DAEMON &&
    msg.interface === BUS_DAEMON &&
    msg.member === 'NameOwnerChanged' &&
    (msg.body as unknown[])[0] === LIBVIRT_BUS_NAME
  );
}

function addMatch(rule: string): LibvirtCall {
  return {
    destination: BUS_DAEMON,
    path: '/org/freedesktop/DBus',
    iface: BUS_DAEMON,
    method: 'AddMatch',
    signature: 's',
    args: [rule],
    what: 'subscribe to libvirt events',
  };
}

/**
 * dbus-next 0.10.2 forwards its socket's 'error' to the MessageBus but not its 'end'
 * (lib/bus.js, lib/connection.js), so a bus daemon that went away would be noticed only on our
 * next write. The connection object is internal; without it we still notice on that write.
 */
function connectionOf(bus: dbus.MessageBus): EventEmitter | undefined {
  const conn = (bus as unknown as { _connection?: unknown })._connection;
  return conn instanceof EventEmitter ? conn : undefined;
}
