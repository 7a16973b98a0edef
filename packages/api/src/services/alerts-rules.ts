/**
 * What an alert rule means: which objects it covers, when a sample breaches it, and how an alert
 * is worded. Pure, shared by the evaluator service and the router's input checks.
 */
import { ALERT_METRICS, ALERT_SCOPES, type AlertMetric, type AlertScope } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { z } from 'zod';

export const METRIC_LABEL: Record<AlertMetric, string> = {
  cpu: 'CPU',
  memory: 'memory used',
  storageFree: 'VM storage free',
  hostOffline: 'offline',
};

/** Metrics the manager receives per object type. VM memory is sampled by agents but not on the bus yet. */
const METRICS_FOR: Record<'host' | 'vm', readonly AlertMetric[]> = {
  host: ['cpu', 'memory', 'storageFree', 'hostOffline'],
  vm: ['cpu'],
};

export const ruleInputSchema = z.object({
  name: z.string().trim().min(1, 'Give the rule a name.').max(80, 'A rule name is at most 80 characters.'),
  scope: z.enum(ALERT_SCOPES),
  scopeId: z.string().min(1).max(64).nullable().default(null),
  metric: z.enum(ALERT_METRICS),
  threshold: z
    .number({ error: 'The threshold is a number of percent.' })
    .finite()
    .min(0, 'The threshold is a percentage from 0 to 100.')
    .max(100, 'The threshold is a percentage from 0 to 100.'),
  forSeconds: z
    .number({ error: 'The duration is a number of seconds.' })
    .int('The duration is a whole number of seconds.')
    .min(0, 'The duration cannot be negative.')
    .max(86_400, 'The duration is at most 86400 s (a day).'),
  enabled: z.boolean().default(true),
});
export type RuleInput = z.infer<typeof ruleInputSchema>;

export const objectTypeOf = (scope: AlertScope): 'host' | 'vm' =>
  scope === 'hosts' || scope === 'host' ? 'host' : 'vm';

/** Combinations the schema cannot express; BAD_INPUT with a sentence saying what to change. */
export function checkRuleCombination(input: RuleInput): void {
  const type = objectTypeOf(input.scope);
  if (!METRICS_FOR[type].includes(input.metric)) {
    const allowed = METRICS_FOR[type].map((m) => METRIC_LABEL[m]).join(', ');
    throw new VireoError('BAD_INPUT', `A rule for ${type === 'host' ? 'hosts' : 'VMs'} can watch: ${allowed}.`);
  }
  const single = input.scope === 'host' || input.scope === 'vm';
  if (single && !input.scopeId) throw new VireoError('BAD_INPUT', `Choose the ${type} this rule is for.`);
  if (!single && input.scopeId) throw new VireoError('BAD_INPUT', 'A rule for every host or VM names no single one.');
}

/** Whether a sample crosses the rule: cpu and memory at or above, storage free at or below; 1 is offline. */
export function breaches(rule: { metric: AlertMetric; threshold: number }, value: number | null): boolean {
  if (value === null) return false;
  switch (rule.metric) {
    case 'cpu':
    case 'memory':
      return value >= rule.threshold;
    case 'storageFree':
      return value <= rule.threshold;
    case 'hostOffline':
      return value === 1;
  }
}

export function ruleCovers(
  rule: { scope: AlertScope; scopeId: string | null; enabled: boolean },
  object: { type: 'host' | 'vm'; id: string },
): boolean {
  if (!rule.enabled || objectTypeOf(rule.scope) !== object.type) return false;
  return rule.scope === 'hosts' || rule.scope === 'vms' || rule.scopeId === object.id;
}

const pct = (v: number) => `${Math.round(v * 10) / 10} %`;

/** The alert's message, fixed when it fires. */
export function alertMessage(
  rule: { metric: AlertMetric; threshold: number; forSeconds: number },
  object: { type: 'host' | 'vm'; name: string },
  value: number | null,
): string {
  const who = `${object.type === 'host' ? 'Host' : 'VM'} ${object.name}`;
  const held = rule.forSeconds > 0 ? ` for ${rule.forSeconds} s` : '';
  if (rule.metric === 'hostOffline') return `${who} is offline${held}.`;
  const cmp = rule.metric === 'storageFree' ? 'at or below' : 'at or above';
  const now = value === null ? '' : ` (${pct(value)})`;
  return `${who}: ${METRIC_LABEL[rule.metric]} ${cmp} ${pct(rule.threshold)}${held}${now}.`;
}
