import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeLabelValue, formatMetrics, Histogram } from '../src/services/metrics-format.ts';

test('label values escape backslash, double quote and newline', () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const text = formatMetrics([
    {
      name: 'vireo_x',
      help: 'Help with a \\ and a\nnewline.',
      type: 'gauge',
      samples: [{ labels: { host: 'we"ird\\na\nme', state: 'ok' }, value: 2.5 }, { value: 1 }],
    },
  ]);
  assert.equal(
    text,
    [
      '# HELP vireo_x Help with a \\\\ and a\\nnewline.',
      '# TYPE vireo_x gauge',
      'vireo_x{host="we\\"ird\\\\na\\nme",state="ok"} 2.5',
      'vireo_x 1',
      '',
    ].join('\n'),
  );
});

test('a histogram writes cumulative buckets, +Inf, _sum and _count per label value', () => {
  const h = new Histogram('procedure', [0.1, 1]);
  h.observe('vm.list', 0.05);
  h.observe('vm.list', 0.5);
  h.observe('vm.list', 3);
  h.observe('auth.me', 0.1);
  const text = formatMetrics([{ name: 'lat_seconds', help: 'Latency.', type: 'histogram', histograms: h.snapshot() }]);
  assert.equal(
    text,
    [
      '# HELP lat_seconds Latency.',
      '# TYPE lat_seconds histogram',
      'lat_seconds_bucket{procedure="auth.me",le="0.1"} 1',
      'lat_seconds_bucket{procedure="auth.me",le="1"} 1',
      'lat_seconds_bucket{procedure="auth.me",le="+Inf"} 1',
      'lat_seconds_sum{procedure="auth.me"} 0.1',
      'lat_seconds_count{procedure="auth.me"} 1',
      'lat_seconds_bucket{procedure="vm.list",le="0.1"} 1',
      'lat_seconds_bucket{procedure="vm.list",le="1"} 2',
      'lat_seconds_bucket{procedure="vm.list",le="+Inf"} 3',
      'lat_seconds_sum{procedure="vm.list"} 3.55',
      'lat_seconds_count{procedure="vm.list"} 3',
      '',
    ].join('\n'),
  );
});

test('special values are written as Prometheus spells them', () => {
  const text = formatMetrics([
    { name: 'g', help: 'h', type: 'gauge', samples: [{ value: Number.NaN }, { value: Number.POSITIVE_INFINITY }] },
  ]);
  assert.match(text, /^g NaN$/m);
  assert.match(text, /^g \+Inf$/m);
});
