// Alert rules and the alerts they fired. Only transitions are written (fire, resolve): the
// manager evaluates samples in memory. At most one open alert per (rule, object): `openKey` is
// unique while the alert fires and null once it is resolved.
import { getDb } from './client.ts';
import { DbConflictError, mapDbErrors } from './errors.ts';
import type { Prisma } from './generated/client.ts';

export const ALERT_SCOPES = ['hosts', 'host', 'vms', 'vm'] as const;
export type AlertScope = (typeof ALERT_SCOPES)[number];
export const ALERT_METRICS = ['cpu', 'memory', 'storageFree', 'hostOffline'] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];
export const ALERT_STATES = ['firing', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];
export type AlertObjectType = 'host' | 'vm';

export type AlertRuleRecord = {
  id: string;
  name: string;
  scope: AlertScope;
  scopeId: string | null;
  metric: AlertMetric;
  threshold: number;
  forSeconds: number;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
};

export type AlertRuleInput = Omit<AlertRuleRecord, 'id' | 'createdAt' | 'updatedAt'>;

export type AlertRecord = {
  id: string;
  ruleId: string;
  ruleName: string;
  metric: AlertMetric;
  objectType: AlertObjectType;
  objectId: string;
  objectName: string;
  state: AlertState;
  value: number;
  message: string;
  firedAt: Date;
  resolvedAt: Date | null;
};

const ruleSelect = {
  id: true,
  name: true,
  scope: true,
  scopeId: true,
  metric: true,
  threshold: true,
  forSeconds: true,
  enabled: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.AlertRuleSelect;

const alertSelect = {
  id: true,
  ruleId: true,
  rule: { select: { name: true, metric: true } },
  objectType: true,
  objectId: true,
  objectName: true,
  state: true,
  value: true,
  message: true,
  firedAt: true,
  resolvedAt: true,
} satisfies Prisma.AlertSelect;

function toRule(row: Prisma.AlertRuleGetPayload<{ select: typeof ruleSelect }>): AlertRuleRecord {
  return { ...row, scope: row.scope as AlertScope, metric: row.metric as AlertMetric };
}

function toAlert(row: Prisma.AlertGetPayload<{ select: typeof alertSelect }>): AlertRecord {
  const { rule, ...rest } = row;
  return {
    ...rest,
    ruleName: rule.name,
    metric: rule.metric as AlertMetric,
    objectType: row.objectType as AlertObjectType,
    state: row.state as AlertState,
  };
}

/** The key that makes an open alert unique per (rule, object). */
export function openKey(ruleId: string, objectType: AlertObjectType, objectId: string): string {
  return `${ruleId}:${objectType}:${objectId}`;
}

export async function listRules(): Promise<AlertRuleRecord[]> {
  const rows = await getDb().alertRule.findMany({ select: ruleSelect, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.map(toRule);
}

export async function ruleById(id: string): Promise<AlertRuleRecord | null> {
  const row = await getDb().alertRule.findUnique({ where: { id }, select: ruleSelect });
  return row && toRule(row);
}

export async function createRule(input: AlertRuleInput): Promise<AlertRuleRecord> {
  return toRule(await getDb().alertRule.create({ data: input, select: ruleSelect }));
}

/** @throws DbNotFoundError */
export async function updateRule(id: string, input: AlertRuleInput): Promise<AlertRuleRecord> {
  return mapDbErrors(async () =>
    toRule(await getDb().alertRule.update({ where: { id }, data: input, select: ruleSelect })),
  );
}

/** Deletes the rule and its alerts (cascade). @throws DbNotFoundError */
export async function deleteRule(id: string): Promise<void> {
  await mapDbErrors(() => getDb().alertRule.delete({ where: { id }, select: { id: true } }));
}

/** Every firing alert and the most recent resolved ones, newest first. */
export async function list(filter: { resolvedLimit?: number } = {}): Promise<AlertRecord[]> {
  const db = getDb();
  const [firing, resolved] = await Promise.all([
    db.alert.findMany({
      where: { state: 'firing' },
      select: alertSelect,
      orderBy: [{ firedAt: 'desc' }, { id: 'desc' }],
    }),
    db.alert.findMany({
      where: { state: 'resolved' },
      select: alertSelect,
      orderBy: [{ firedAt: 'desc' }, { id: 'desc' }],
      take: filter.resolvedLimit ?? 100,
    }),
  ]);
  return [...firing, ...resolved].map(toAlert);
}

export async function listFiring(filter: { ruleId?: string } = {}): Promise<AlertRecord[]> {
  const rows = await getDb().alert.findMany({
    where: { state: 'firing', ruleId: filter.ruleId },
    select: alertSelect,
    orderBy: { firedAt: 'asc' },
  });
  return rows.map(toAlert);
}

export type AlertOpenInput = {
  ruleId: string;
  objectType: AlertObjectType;
  objectId: string;
  objectName: string;
  value: number;
  message: string;
  firedAt?: Date;
};

/**
 * Opens an alert. Null when one is already open for this (rule, object): another manager (or an
 * earlier run) opened it first, and it stays the one alert.
 */
export async function open(input: AlertOpenInput): Promise<AlertRecord | null> {
  try {
    const row = await mapDbErrors(() =>
      getDb().alert.create({
        data: { ...input, state: 'firing', openKey: openKey(input.ruleId, input.objectType, input.objectId) },
        select: alertSelect,
      }),
    );
    return toAlert(row);
  } catch (err) {
    if (DbConflictError.is(err)) return null;
    throw err;
  }
}

/**
 * Resolves the open alert of (rule, object), if any, in one conditional update so that two
 * managers cannot both resolve it. Null when none was open.
 */
export async function resolve(
  key: { ruleId: string; objectType: AlertObjectType; objectId: string },
  update: { value: number; at?: Date },
): Promise<AlertRecord | null> {
  const db = getDb();
  const k = openKey(key.ruleId, key.objectType, key.objectId);
  return db.$transaction(async (tx) => {
    const current = await tx.alert.findUnique({ where: { openKey: k }, select: { id: true } });
    if (!current) return null;
    const { count } = await tx.alert.updateMany({
      where: { id: current.id, openKey: k },
      data: {
        state: 'resolved',
        openKey: null,
        // The message keeps what fired it; value becomes the one that resolved it.
        value: update.value,
        resolvedAt: update.at ?? new Date(),
      },
    });
    if (count === 0) return null;
    const row = await tx.alert.findUniqueOrThrow({ where: { id: current.id }, select: alertSelect });
    return toAlert(row);
  });
}
