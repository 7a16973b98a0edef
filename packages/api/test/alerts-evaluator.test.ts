import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlertEvaluator } from '../src/services/alerts-evaluator.ts';
import { breaches } from '../src/services/alerts-rules.ts';

const host = { type: 'host', id: 'h1' } as const;
const cpu90For60 = { id: 'cpu', forSeconds: 60, metric: 'cpu', threshold: 90 } as const;
const S = 1000;

/** Feeds CPU samples every 10 s from t=0 and returns the transitions with their times. */
function feed(evaluator: AlertEvaluator, samples: number[], start = 0) {
  return samples.flatMap((value, i) => {
    const t = evaluator.observe(cpu90For60, host, breaches(cpu90For60, value), value, start + i * 10 * S);
    return t ? [{ kind: t.kind, at: t.at / S, value: t.value }] : [];
  });
}

test('a breach fires only once it has held for the rule’s duration', () => {
  const e = new AlertEvaluator();
  // 95 % from t=0: at t=50 s it has held 50 s, at t=60 s the full minute.
  assert.deepEqual(feed(e, [95, 95, 95, 95, 95, 95, 96]), [{ kind: 'fire', at: 60, value: 96 }]);
});

test('a dip under the threshold restarts the wait', () => {
  const e = new AlertEvaluator();
  // 95 for 50 s, one sample at 40 %, then 95 again from t=70 s: fires at t=130 s, not 60 s.
  const out = feed(e, [95, 95, 95, 95, 95, 95, 40, 95, 95, 95, 95, 95, 95, 95]);
  assert.deepEqual(out, [{ kind: 'fire', at: 130, value: 95 }]);
});

test('firing resolves on the first sample back under; a flapping sample while firing is no new alert', () => {
  const e = new AlertEvaluator();
  const rule = { id: 'cpu0', forSeconds: 0, metric: 'cpu', threshold: 90 } as const;
  const seen = [95, 99, 97, 50, 50, 91].map((v, i) => e.observe(rule, host, breaches(rule, v), v, i * S));
  assert.deepEqual(
    seen.map((t) => t && `${t.kind}@${t.at / S}=${t.value}`),
    ['fire@0=95', null, null, 'resolve@3=50', null, 'fire@5=91'],
  );
  assert.equal(e.size, 1, 'only the breaching (rule, object) is held');
});

test('tick fires a breach whose duration passed without a new sample (host still offline)', () => {
  const e = new AlertEvaluator();
  const rule = { id: 'offline', forSeconds: 30, metric: 'hostOffline', threshold: 0 } as const;
  const rules = new Map([[rule.id, rule]]);
  assert.equal(e.observe(rule, host, breaches(rule, 1), 1, 0), null);
  assert.deepEqual(e.tick(rules, 29 * S), []);
  assert.deepEqual(e.tick(rules, 30 * S), [{ kind: 'fire', ruleId: 'offline', object: host, value: 1, at: 30 * S }]);
  assert.deepEqual(e.tick(rules, 40 * S), [], 'fires once');
  assert.equal(e.observe(rule, host, breaches(rule, 0), 0, 50 * S)?.kind, 'resolve');
});

test('no data resolves; an alert open at start-up is not opened again; forgetting returns what fired', () => {
  const e = new AlertEvaluator();
  const rule = { id: 'cpu0', forSeconds: 0, metric: 'cpu', threshold: 0 } as const;
  e.markFiring('cpu0', host, 12, 0);
  assert.equal(e.observe(rule, host, breaches(rule, 15), 15, S), null, 'already firing');
  assert.equal(e.observe(rule, host, breaches(rule, null), null, 2 * S)?.kind, 'resolve');
  const vm = { type: 'vm', id: 'v1' } as const;
  e.observe(rule, vm, true, 5, 3 * S);
  assert.deepEqual(e.forgetObject(vm), ['cpu0']);
  e.observe(rule, vm, true, 5, 4 * S);
  assert.deepEqual(e.forgetRule('cpu0'), [vm]);
  assert.equal(e.size, 0);
});

test('thresholds: cpu and memory at or above, storage free at or below, offline when 1', () => {
  assert.equal(breaches({ metric: 'cpu', threshold: 90 }, 90), true);
  assert.equal(breaches({ metric: 'cpu', threshold: 90 }, 89.9), false);
  assert.equal(breaches({ metric: 'memory', threshold: 0 }, 0), true);
  assert.equal(breaches({ metric: 'storageFree', threshold: 10 }, 10), true);
  assert.equal(breaches({ metric: 'storageFree', threshold: 10 }, 11), false);
  assert.equal(breaches({ metric: 'hostOffline', threshold: 0 }, 1), true);
  assert.equal(breaches({ metric: 'hostOffline', threshold: 0 }, 0), false);
  assert.equal(breaches({ metric: 'cpu', threshold: 0 }, null), false, 'no data never breaches');
});

test('tick does not fire a breach whose samples stopped (a VM on a host that went away)', () => {
  const rule = { id: 'vmcpu', forSeconds: 60, metric: 'cpu', threshold: 50 } as const;
  const rules = new Map([[rule.id, rule]]);
  const vm = { type: 'vm', id: 'v1' } as const;
  const stopped = new AlertEvaluator();
  stopped.observe(rule, vm, true, 80, 0);
  stopped.observe(rule, vm, true, 80, 10 * S); // then nothing more
  assert.deepEqual(stopped.tick(rules, 70 * S), [], 'last sample 60 s old: stale');
  // With samples still arriving, the tick fires between them.
  const flowing = new AlertEvaluator();
  flowing.observe(rule, vm, true, 80, 0);
  flowing.observe(rule, vm, true, 80, 55 * S);
  assert.equal(flowing.tick(rules, 62 * S)[0]?.kind, 'fire');
});
