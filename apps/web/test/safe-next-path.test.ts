import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeNextPath } from '../src/modules/auth/safe-next-path.ts';

test('same-origin paths pass, with their query and fragment', () => {
  assert.equal(safeNextPath('/vms'), '/vms');
  assert.equal(safeNextPath('/vms/abc?tab=console#top'), '/vms/abc?tab=console#top');
  assert.equal(safeNextPath('/vms/a%20b'), '/vms/a%20b');
});

test('anything that could leave the origin becomes /', () => {
  const tricks = [
    null,
    '',
    'https://evil.example',
    'evil.example',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\\/evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\n/evil.example',
    ' //evil.example',
    '/%2F/evil.example',
    '/%2f%2fevil.example',
    '%2F%2Fevil.example',
    '/%5Cevil.example',
    '/%255C%255Cevil.example',
    '/%09/evil.example',
    '/%E0%A4%A', // malformed escape
    'javascript:alert(1)',
    '/\u0000/evil.example',
    'http:/evil.example',
    `/${'a'.repeat(3000)}`,
  ];
  for (const next of tricks) assert.equal(safeNextPath(next), '/', `refused: ${JSON.stringify(next)}`);
});

test('the login page itself is not a destination', () => {
  assert.equal(safeNextPath('/login'), '/');
  assert.equal(safeNextPath('/login?next=/vms'), '/');
});

test('whatever passes resolves to this origin, even when the browser parses it', () => {
  for (const next of ['/vms', '/a/../b', '/./x', '/vms?x=//evil.example']) {
    const out = safeNextPath(next);
    assert.equal(new URL(out, 'https://vireo.example').origin, 'https://vireo.example', out);
  }
});
