import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  agentMessageSchema,
  agentRequests,
  requestMessageSchema,
  toErrorPayload,
  VireoError,
  vmNameSchema,
} from '../src/index.ts';

const uuid = '6f1c1b0e-8a4e-4b8e-9d7e-2b4f3c1a9e10';

test('VM names: the safe alphabet only, with readable messages', () => {
  for (const ok of ['web-1', 'a', 'DB_2.prod', 'x'.repeat(63)]) assert.ok(vmNameSchema.safeParse(ok).success, ok);
  const bad: [string, RegExp][] = [
    ['', /required/],
    ['x'.repeat(64), /at most 63/],
    ['<script>', /only letters/],
    ['a&b', /only letters/],
    ['-lead', /start with a letter or digit/],
    ['../x', /only letters/],
    ['a b', /only letters/],
  ];
  for (const [name, message] of bad) {
    const r = vmNameSchema.safeParse(name);
    assert.ok(!r.success, name);
    assert.match(r.error.issues[0]?.message ?? '', message, name);
  }
});

test('agent messages: replies, events and state validate; malformed ones do not', () => {
  assert.ok(agentMessageSchema.safeParse({ t: 'reply', id: '1', ok: true, result: {} }).success);
  assert.ok(
    agentMessageSchema.safeParse({
      t: 'reply',
      id: '1',
      ok: false,
      error: { code: 'NOT_FOUND', message: 'x', object: 'vm' },
    }).success,
  );
  assert.ok(
    !agentMessageSchema.safeParse({ t: 'reply', id: '1', ok: false }).success,
    'an error reply needs its error',
  );
  assert.ok(
    !agentMessageSchema.safeParse({ t: 'reply', id: '1', ok: false, error: { code: 'NOPE', message: 'x' } }).success,
  );
  const domain = { uuid, name: 'a', state: 'running', vcpus: 1, memoryMiB: 128, persistent: true };
  assert.ok(agentMessageSchema.safeParse({ t: 'domain', at: 1, event: 'started', uuid, domain }).success);
  assert.ok(agentMessageSchema.safeParse({ t: 'domain', at: 1, event: 'undefined', uuid, domain: null }).success);
  assert.ok(
    !agentMessageSchema.safeParse({ t: 'domain', at: 1, event: 'x', uuid: 'not-a-uuid', domain: null }).success,
  );
  assert.ok(!agentMessageSchema.safeParse({ t: 'bogus' }).success);
});

test('requests: unknown methods are refused; params are checked per method', () => {
  assert.ok(!requestMessageSchema.safeParse({ t: 'request', id: '1', method: 'vm.explode', params: {} }).success);
  assert.ok(requestMessageSchema.safeParse({ t: 'request', id: '1', method: 'vm.start', params: { uuid } }).success);
  assert.ok(!agentRequests['vm.shutdown'].params.safeParse({ uuid, timeoutMs: 10 }).success);
  assert.ok(!agentRequests['console.open'].params.safeParse({ uuid, channelId: 'short' }).success);
  const spec = {
    uuid,
    name: 'vm<1>',
    vcpus: 1,
    memoryMiB: 128,
    template: { kernelPath: '/k', initrdPath: '/i', diskPath: '/d', cmdline: '' },
  };
  assert.ok(!agentRequests['vm.create'].params.safeParse({ spec }).success, 'names are checked again at the agent');
});

test('errors keep their code and libvirt message across the wire', () => {
  const err = new VireoError('LIBVIRT_ERROR', 'libvirt refused', {
    object: 'vm',
    libvirt: { message: 'internal error: boom' },
  });
  const back = VireoError.fromPayload(JSON.parse(JSON.stringify(toErrorPayload(err))));
  assert.ok(VireoError.is(back, 'LIBVIRT_ERROR', 'vm'));
  assert.equal(back.object, 'vm');
  assert.equal(back.libvirt?.message, 'internal error: boom');
  assert.equal(toErrorPayload(new Error('plain')).code, 'INTERNAL');
});

test('crash-safety additions are optional: older requests, results and states stay valid', () => {
  const request = { t: 'request', id: 'r1', method: 'vm.delete', params: { uuid } };
  assert.ok(requestMessageSchema.safeParse(request).success, 'without taskId');
  assert.equal(requestMessageSchema.parse({ ...request, taskId: 'task-1' }).taskId, 'task-1');
  const del = agentRequests['vm.delete'].result;
  assert.ok(del.safeParse({ deletedDisks: [] }).success, 'without notRemoved');
  const halfway = {
    deletedDisks: [],
    notRemoved: [{ path: `/v/${uuid}.qcow2`, code: 'STORAGE_PERMISSION_DENIED', message: 'EPERM' }],
  };
  assert.deepEqual(del.parse(halfway), halfway);
  const state = {
    t: 'state',
    protocolVersion: 1,
    agentVersion: '0.1.0',
    host: {
      hostUuid: uuid,
      hostname: 'h',
      cpuModel: 'x',
      cpuCount: 1,
      memoryBytes: 1,
      memoryFreeBytes: 1,
      libvirtVersion: '9',
      qemuVersion: '7',
      domainTypes: ['qemu'],
      storage: [],
    },
    domains: [],
  };
  assert.ok(agentMessageSchema.safeParse(state).success, 'without vmFiles');
  const withFiles = { ...state, vmFiles: [{ uuid, path: `/v/${uuid}.qcow2` }] };
  assert.ok(agentMessageSchema.safeParse(withFiles).success);
  assert.ok(!agentMessageSchema.safeParse({ ...state, vmFiles: [{ uuid, path: 'relative' }] }).success);
});
