import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editSummary } from '../src/services/vm-config.ts';

const input = { name: 'a', vcpus: 2, maxVcpus: 4, memoryMiB: 160, maxMemoryMiB: 256 };

test('the edit task says what a running VM took live and what waits for its next start', () => {
  assert.equal(
    editSummary(input, ['vcpus', 'memory'], false),
    'Live now: 2 vCPUs hot-plugged, memory ballooned to 160 MiB. Definition: 2 vCPUs (max 4), 160 MiB (max 256 MiB)',
  );
  const partly = editSummary(input, ['memory'], true);
  assert.match(partly, /^Live now: memory ballooned to 160 MiB\. /);
  assert.match(partly, /apply in full at the next start/);
  assert.doesNotMatch(partly, /hot-plugged/);
  assert.equal(editSummary(input, [], false), 'Now 2 vCPUs (max 4), 160 MiB (max 256 MiB)');
  assert.match(editSummary(input, [], true), /^2 vCPUs .* apply in full at the next start/);
});
