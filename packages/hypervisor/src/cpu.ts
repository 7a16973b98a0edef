/**
 * The host's CPU and a domain's CPU, read from libvirt's XML (https://libvirt.org/formatcaps.html,
 * https://libvirt.org/formatdomaincaps.html#cpu-configuration, https://libvirt.org/formatdomain.html#cpu-model-and-topology)
 * for the manager's CPU-compatibility check (`cpuCompatible` in @vireo/protocol).
 */
import type { HostCpu, VmCpu } from '@vireo/protocol';
import { attr, child, children, type Node, parseXml, text } from './xml/common.ts';

/** An element's text, whether it has attributes (an object) or not (a plain string). */
const field = (node: Node | undefined, name: string): string => text(node?.[name]) ?? '';

const featureNames = (cpu: unknown, keep: (policy: string) => boolean): string[] =>
  children(cpu, 'feature')
    .filter((f) => keep(attr(f, 'policy') ?? 'require'))
    .map((f) => attr(f, 'name') ?? '')
    .filter(Boolean);

/** `<host><cpu>` of the capabilities, and the usable named models of the domain capabilities ('' none). */
export function parseHostCpu(capsXml: string, domCapsXml = ''): HostCpu {
  const cpu = child(child(child(parseXml(capsXml), 'capabilities'), 'host'), 'cpu');
  const dc = domCapsXml ? child(parseXml(domCapsXml), 'domainCapabilities') : undefined;
  const custom = children(child(dc, 'cpu'), 'mode').find((m) => attr(m, 'name') === 'custom');
  const usableModels = children(custom, 'model')
    .filter((m) => attr(m, 'usable') === 'yes')
    .map((m) => text(m) ?? '')
    .filter(Boolean);
  return {
    arch: field(cpu, 'arch'),
    vendor: field(cpu, 'vendor'),
    model: field(cpu, 'model'),
    features: featureNames(cpu, () => true),
    usableModels,
  };
}

const MODES: readonly VmCpu['mode'][] = ['custom', 'host-model', 'host-passthrough', 'maximum'];

/** The domain's `<cpu>`: its mode (custom when a model is named without one), model and required features. */
export function parseDomainCpu(domainXml: string): VmCpu {
  const cpu = child(child(parseXml(domainXml), 'domain'), 'cpu');
  if (!cpu) return { mode: 'default', features: [] };
  const model = field(cpu, 'model');
  const asked = attr(cpu, 'mode') ?? (model ? 'custom' : 'default');
  const mode = MODES.find((m) => m === asked) ?? 'default';
  const features = featureNames(cpu, (p) => p === 'require' || p === 'force');
  return { mode, ...(mode === 'custom' && model ? { model } : {}), features };
}
