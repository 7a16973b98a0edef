/**
 * The alert state machine, pure and in memory: one state per (rule, object) that breaches or
 * fires. Samples go in (`observe`), time goes in (`tick`), and only transitions come out, so the
 * caller writes to the database on fire and resolve, never per sample.
 *
 * - A breach must hold for the rule's `forSeconds` without a break before it fires; a sample
 *   under the threshold restarts the wait.
 * - A firing alert resolves on the first sample back under the threshold (or "no data": a VM
 *   that stopped, a host whose agent left), and fires again only after a new full wait.
 * - Repeated breaching samples while firing produce nothing: no duplicate alert.
 */

export type AlertObject = { type: 'host' | 'vm'; id: string };
export type EvaluatedRule = { id: string; forSeconds: number; metric?: string };

/**
 * `tick` fires a breach between samples only while its last sample is this fresh: samples that
 * stopped (a VM whose host went away) prove nothing. Host offline is the exception: an offline
 * host sends nothing, its absence is the condition.
 */
export const STALE_MS = 30_000;

export type Transition = {
  kind: 'fire' | 'resolve';
  ruleId: string;
  object: AlertObject;
  /** The sample that caused it; null for "no data". */
  value: number | null;
  at: number;
};

type State = {
  ruleId: string;
  object: AlertObject;
  /** When the current unbroken breach began; null while not breaching. */
  breachSince: number | null;
  value: number | null;
  /** When the last sample arrived. */
  seenAt: number;
  firing: boolean;
};

const keyOf = (ruleId: string, object: AlertObject) => `${ruleId}|${object.type}|${object.id}`;

export class AlertEvaluator {
  private readonly states = new Map<string, State>();

  /**
   * One sample of one object for one rule: `breach` says whether it crosses the rule's
   * threshold (the caller compares, so the evaluator needs no metric knowledge).
   */
  observe(
    rule: EvaluatedRule,
    object: AlertObject,
    breach: boolean,
    value: number | null,
    now: number,
  ): Transition | null {
    const key = keyOf(rule.id, object);
    const state = this.states.get(key);
    if (!breach) {
      if (!state) return null;
      this.states.delete(key);
      return state.firing ? { kind: 'resolve', ruleId: rule.id, object, value, at: now } : null;
    }
    const current = state ?? { ruleId: rule.id, object, breachSince: now, value, seenAt: now, firing: false };
    current.breachSince ??= now;
    current.value = value;
    current.seenAt = now;
    this.states.set(key, current);
    return this.fireIfDue(current, rule, now);
  }

  /** Fires breaches whose wait has passed since their last sample (e.g. a host still offline). */
  tick(rules: ReadonlyMap<string, EvaluatedRule>, now: number): Transition[] {
    const out: Transition[] = [];
    for (const state of this.states.values()) {
      const rule = rules.get(state.ruleId);
      if (!rule) continue;
      if (rule.metric !== 'hostOffline' && now - state.seenAt > STALE_MS) continue;
      const t = this.fireIfDue(state, rule, now);
      if (t) out.push(t);
    }
    return out;
  }

  /** An alert already open in the database (start-up): further breaches are not new alerts. */
  markFiring(ruleId: string, object: AlertObject, value: number, since: number): void {
    this.states.set(keyOf(ruleId, object), { ruleId, object, breachSince: since, value, seenAt: since, firing: true });
  }

  /** Forgets a rule's states (rule edited, disabled or deleted); returns the objects that fired. */
  forgetRule(ruleId: string): AlertObject[] {
    const fired: AlertObject[] = [];
    for (const [key, state] of this.states) {
      if (state.ruleId !== ruleId) continue;
      if (state.firing) fired.push(state.object);
      this.states.delete(key);
    }
    return fired;
  }

  /** Forgets an object that is gone (VM deleted, host removed); returns the rules that fired for it. */
  forgetObject(object: AlertObject): string[] {
    const rules: string[] = [];
    for (const [key, state] of this.states) {
      if (state.object.type !== object.type || state.object.id !== object.id) continue;
      if (state.firing) rules.push(state.ruleId);
      this.states.delete(key);
    }
    return rules;
  }

  /** The (rule, object) states held: what memory the evaluator costs. */
  get size(): number {
    return this.states.size;
  }

  private fireIfDue(state: State, rule: EvaluatedRule, now: number): Transition | null {
    if (state.firing || state.breachSince === null) return null;
    if (now - state.breachSince < rule.forSeconds * 1000) return null;
    state.firing = true;
    return { kind: 'fire', ruleId: rule.id, object: state.object, value: state.value, at: now };
  }
}
