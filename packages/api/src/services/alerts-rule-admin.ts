/**
 * What admins do with alert rules: list them with the names of the hosts/VMs they watch, and
 * create, edit or delete them. Every change is published (`alertRule` / `alertRuleRemoved`),
 * which is also how every manager's evaluator learns of it.
 */
import { type AlertRuleRecord, alerts, DbNotFoundError, hosts, vms } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { AlertRuleView } from '../views.ts';
import { checkRuleCombination, type RuleInput } from './alerts-rules.ts';
import { resolveRuleAlerts } from './alerts-service.ts';
import { publish } from './bus.ts';

async function scopeName(rule: { scope: string; scopeId: string | null }): Promise<string | null> {
  if (!rule.scopeId) return null;
  const row = rule.scope === 'host' ? await hosts.byId(rule.scopeId) : await vms.byId(rule.scopeId);
  return row?.name ?? null;
}

async function toRuleView(rule: AlertRuleRecord): Promise<AlertRuleView> {
  return {
    id: rule.id,
    name: rule.name,
    scope: rule.scope,
    scopeId: rule.scopeId,
    scopeName: await scopeName(rule),
    metric: rule.metric,
    threshold: rule.threshold,
    forSeconds: rule.forSeconds,
    enabled: rule.enabled,
    updatedAt: rule.updatedAt.toISOString(),
  };
}

export async function listRuleViews(): Promise<AlertRuleView[]> {
  return Promise.all((await alerts.listRules()).map(toRuleView));
}

/** Checks what zod cannot: the metric fits the scope, and the one host or VM exists. */
async function checked(input: RuleInput): Promise<RuleInput> {
  checkRuleCombination(input);
  if (input.scopeId && (await scopeName(input)) === null) {
    const object = input.scope === 'host' ? 'host' : 'vm';
    throw new VireoError('NOT_FOUND', `That ${object === 'host' ? 'host' : 'VM'} does not exist (any more).`, {
      object,
    });
  }
  return input;
}

async function existing(ruleId: string): Promise<AlertRuleRecord> {
  const rule = await alerts.ruleById(ruleId);
  if (!rule) throw new VireoError('NOT_FOUND', 'That alert rule does not exist (any more).');
  return rule;
}

export async function createRule(input: RuleInput): Promise<AlertRuleView> {
  const view = await toRuleView(await alerts.createRule(await checked(input)));
  publish({ kind: 'alertRule', rule: view });
  return view;
}

/** An edited rule starts afresh: its open alerts resolve now, and fire again if still due. */
export async function updateRule(ruleId: string, input: RuleInput): Promise<AlertRuleView> {
  const before = await existing(ruleId);
  const view = await toRuleView(await notFoundAsVireo(alerts.updateRule(ruleId, await checked(input))));
  // Published first: the evaluator forgets the rule's states and reloads it, then the alerts the
  // old version opened are resolved (both in its write order), so memory and database agree.
  publish({ kind: 'alertRule', rule: view });
  await resolveRuleAlerts(before);
  return view;
}

/** Open alerts resolve first (the webhook hears it), then the rule and its history go. */
export async function deleteRule(ruleId: string): Promise<void> {
  await resolveRuleAlerts(await existing(ruleId));
  await notFoundAsVireo(alerts.deleteRule(ruleId));
  publish({ kind: 'alertRuleRemoved', ruleId });
}

async function notFoundAsVireo<T>(run: Promise<T>): Promise<T> {
  try {
    return await run;
  } catch (err) {
    if (DbNotFoundError.is(err)) throw new VireoError('NOT_FOUND', 'That alert rule does not exist (any more).');
    throw err;
  }
}
