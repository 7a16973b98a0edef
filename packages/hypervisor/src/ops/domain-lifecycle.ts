/**
 * Domain lifecycle verbs beyond start/shutdown/destroy (org.libvirt.Domain in libvirt-dbus 1.4.1:
 * Reboot(u), Reset(u), Suspend(), Resume(), PMWakeup(u), ManagedSave(u), HasManagedSaveImage(u) → b,
 * ManagedSaveRemove(u), Create(u)). Signatures: /usr/share/dbus-1/interfaces/org.libvirt.Domain.xml.
 */
import { IFACE, type LibvirtCallFn, domainPath } from '../libvirt-call.ts';

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainCreateFlags */
export const VIR_DOMAIN_START_PAUSED = 1;
/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainRebootFlagValues */
export const VIR_DOMAIN_REBOOT_ACPI_POWER_BTN = 1;

export interface DomainLifecycleOps {
  /** ACPI reboot request; returns at once (the guest decides when, as with shutdown). */
  reboot(uuid: string): Promise<void>;
  /** Hard reset, like the reset button: no guest cooperation, the domain stays running. */
  reset(uuid: string): Promise<void>;
  /** Stops the vCPUs; memory stays in the host's RAM. */
  pause(uuid: string): Promise<void>;
  resume(uuid: string): Promise<void>;
  /** Wakes a guest the guest itself suspended (pmsuspended, S3): Resume refuses those. */
  wakeup(uuid: string): Promise<void>;
  /** Writes memory and device state to libvirt's managed save file and stops the domain. */
  managedSave(uuid: string): Promise<void>;
  hasManagedSave(uuid: string): Promise<boolean>;
  /** Starts the domain (restoring a managed save if there is one), its vCPUs paused if asked. */
  create(uuid: string, opts: { paused: boolean }): Promise<void>;
}

export class LibvirtDomainLifecycle implements DomainLifecycleOps {
  constructor(
    private readonly call: LibvirtCallFn,
    private readonly connectPath: string,
  ) {}

  private domain(uuid: string, method: string, signature: string, args: unknown[], what: string) {
    return this.call(domainPath(this.connectPath, uuid), IFACE.domain, method, signature, args, `${what} ${uuid}`);
  }

  async reboot(uuid: string): Promise<void> {
    await this.domain(uuid, 'Reboot', 'u', [VIR_DOMAIN_REBOOT_ACPI_POWER_BTN], 'reboot domain');
  }
  async reset(uuid: string): Promise<void> {
    await this.domain(uuid, 'Reset', 'u', [0], 'reset domain');
  }
  async pause(uuid: string): Promise<void> {
    await this.domain(uuid, 'Suspend', '', [], 'pause domain');
  }
  async resume(uuid: string): Promise<void> {
    await this.domain(uuid, 'Resume', '', [], 'resume domain');
  }
  async wakeup(uuid: string): Promise<void> {
    await this.domain(uuid, 'PMWakeup', 'u', [0], 'wake up domain');
  }
  async managedSave(uuid: string): Promise<void> {
    // Writing guest memory to disk takes as long as the memory is big and the disk slow.
    await this.call(
      domainPath(this.connectPath, uuid),
      IFACE.domain,
      'ManagedSave',
      'u',
      [0],
      `save domain ${uuid} to disk`,
      300_000,
    );
  }
  async hasManagedSave(uuid: string): Promise<boolean> {
    const [has] = await this.domain(uuid, 'HasManagedSaveImage', 'u', [0], 'read managed save of domain');
    return Boolean(has);
  }
  async create(uuid: string, opts: { paused: boolean }): Promise<void> {
    const flags = opts.paused ? VIR_DOMAIN_START_PAUSED : 0;
    await this.domain(uuid, 'Create', 'u', [flags], opts.paused ? 'start domain paused' : 'start domain');
  }
}
