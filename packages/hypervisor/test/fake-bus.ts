/**
 * A stand-in for a dbus-next MessageBus (the part LibvirtBus uses: call, message/error events,
 * the internal connection's 'end', disconnect), with a libvirt-dbus behind it that can leave,
 * come back, or stop answering. Answers follow libvirt-dbus 1.4.1 as seen on the lab hosts.
 */
import { EventEmitter } from 'node:events';
import dbus from 'dbus-next';

export class FakeWorld {
  /** False: org.libvirt has no owner (calls fail with ServiceUnknown, as dbus-daemon answers). */
  libvirtUp = true;
  /** Methods whose calls never get a reply (a bus that died under them). */
  readonly hang = new Set<string>();
  readonly buses: FakeBus[] = [];
  /** Every call, with the bus it went out on and when. */
  readonly calls: { bus: FakeBus; msg: dbus.Message; at: number }[] = [];

  /** The `bus` option of LibvirtDbusHypervisor. */
  readonly factory = (): dbus.MessageBus => {
    const bus = new FakeBus(this);
    this.buses.push(bus);
    return bus as unknown as dbus.MessageBus;
  };

  get bus(): FakeBus {
    return this.buses.at(-1)!;
  }

  /** Get(LibVersion) calls: how libvirt-dbus is made to connect to libvirt. */
  pokes(since = 0): { bus: FakeBus; at: number }[] {
    return this.calls.filter((c) => c.msg.member === 'Get' && c.at >= since);
  }
}

export class FakeBus extends EventEmitter {
  readonly _connection = new EventEmitter();
  disconnected = false;

  constructor(private readonly world: FakeWorld) {
    super();
  }

  call(msg: dbus.Message): Promise<dbus.Message | null> {
    this.world.calls.push({ bus: this, msg, at: Date.now() });
    if (this.disconnected || this.world.hang.has(msg.member ?? '')) return new Promise(() => {});
    if (msg.destination === 'org.freedesktop.DBus') return Promise.resolve(reply([]));
    if (!this.world.libvirtUp) {
      return Promise.reject(
        new dbus.DBusError('org.freedesktop.DBus.Error.ServiceUnknown', 'The name org.libvirt was not provided'),
      );
    }
    if (msg.member === 'Get') return Promise.resolve(reply([new dbus.Variant('v', new dbus.Variant('t', 9000000n))]));
    if (msg.member === 'ListDomains') return Promise.resolve(reply([[]]));
    return Promise.reject(new dbus.DBusError('org.freedesktop.DBus.Error.UnknownMethod', `no ${msg.member} here`));
  }

  disconnect(): void {
    this.disconnected = true;
  }

  /** The bus daemon tells everyone that org.libvirt changed hands ('' = nobody). */
  ownerChanged(oldOwner: string, newOwner: string): void {
    this.emit(
      'message',
      new dbus.Message({
        type: dbus.MessageType.SIGNAL,
        sender: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'NameOwnerChanged',
        signature: 'sss',
        body: ['org.libvirt', oldOwner, newOwner],
      }),
    );
  }

  /** libvirt-dbus' DomainEvent(o domain, i event, i detail); 2/0 = started/booted. */
  domainEvent(uuid: string, event = 2, detail = 0): void {
    this.emit(
      'message',
      new dbus.Message({
        type: dbus.MessageType.SIGNAL,
        sender: ':1.9',
        path: '/org/libvirt/QEMU',
        interface: 'org.libvirt.Connect',
        member: 'DomainEvent',
        signature: 'oii',
        body: [`/org/libvirt/QEMU/domain/_${uuid.replaceAll('-', '_')}`, event, detail],
      }),
    );
  }
}

function reply(body: unknown[]): dbus.Message {
  return new dbus.Message({ type: dbus.MessageType.METHOD_RETURN, replySerial: '1', body });
}
