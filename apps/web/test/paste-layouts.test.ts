// "Paste text": which physical keys type a text on a guest with a given keyboard layout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeChar, type KeyStroke, planKeyStrokes } from '../src/modules/console/paste-layouts.ts';

const strokes = (text: string, layout: Parameters<typeof planKeyStrokes>[1]): KeyStroke[] => {
  const plan = planKeyStrokes(text, layout);
  assert.ok(plan.ok, `"${text}" is typable on ${layout}: ${JSON.stringify(plan)}`);
  return plan.strokes;
};
const keys = (list: KeyStroke[]) =>
  list.map((s) => `${s.modifier === 'none' ? '' : `${s.modifier}+`}${s.code}${s.dead ? '(dead)' : ''}`);

test('en-us: letters, shifted symbols and Enter', () => {
  assert.deepEqual(keys(strokes('aZ 1!\n', 'en-us')), [
    'KeyA',
    'shift+KeyZ',
    'Space',
    'Digit1',
    'shift+Digit1',
    'Enter',
  ]);
  const line = strokes('echo vireo-$((6*7)) > /tmp/pasted', 'en-us');
  assert.equal(line.length, 33);
  assert.deepEqual(keys(line.slice(11, 14)), ['shift+Digit4', 'shift+Digit9', 'shift+Digit9']);
});

test('de: Y and Z swap, symbols move, AltGr for braces and @', () => {
  assert.deepEqual(keys(strokes('yz', 'de')), ['KeyZ', 'KeyY']);
  assert.deepEqual(keys(strokes('/-_', 'de')), ['shift+Digit7', 'Slash', 'shift+Slash']);
  assert.deepEqual(keys(strokes('{@\\|', 'de')), ['altgr+Digit7', 'altgr+KeyQ', 'altgr+Minus', 'altgr+IntlBackslash']);
  assert.deepEqual(keys(strokes('äÖß€', 'de')), ['Quote', 'shift+Semicolon', 'Minus', 'altgr+KeyE']);
  assert.deepEqual(keys(strokes('^', 'de')), ['Backquote(dead)']);
  assert.equal(strokes('ü', 'de')[0]?.keysym, 0xfc, 'Latin-1 keysym = code point');
  assert.equal(strokes('€', 'de')[0]?.keysym, 0x10020ac, 'Unicode keysym');
});

test('fr: AZERTY letters, shifted digits, non-dead AltGr circumflex', () => {
  assert.deepEqual(keys(strokes('aqzwm,', 'fr')), ['KeyQ', 'KeyA', 'KeyW', 'KeyZ', 'Semicolon', 'KeyM']);
  assert.deepEqual(keys(strokes('1é&', 'fr')), ['shift+Digit1', 'Digit2', 'Digit1']);
  assert.deepEqual(keys(strokes('^~@', 'fr')), ['altgr+Digit9', 'altgr+Digit2', 'altgr+Digit0']);
  assert.deepEqual(keys(strokes('¨', 'fr')), ['shift+BracketLeft(dead)']);
  // The same command as on en-us, on other keys.
  assert.equal(strokes('echo vireo-$((6*7)) > /tmp/pasted', 'fr').length, 33);
});

test('characters a layout cannot type are named, once each, and nothing is planned', () => {
  assert.deepEqual(planKeyStrokes('grüße 😀 ü', 'en-us'), { ok: false, unsupported: ['ü', 'ß', '😀'] });
  assert.deepEqual(keys(strokes('[x]', 'de')), ['altgr+Digit8', 'KeyX', 'altgr+Digit9']);
  assert.deepEqual(planKeyStrokes('ä{', 'fr'), { ok: false, unsupported: ['ä'] });
  assert.deepEqual(planKeyStrokes('a\u0007b', 'en-us'), { ok: false, unsupported: ['\u0007'] });
  assert.equal(describeChar('ü'), '“ü” (U+00FC)');
  assert.equal(describeChar('\u0007'), 'U+0007');
});

test('CR LF and CR are one Enter; Tab is Tab', () => {
  assert.deepEqual(keys(strokes('a\r\nb\rc\td', 'de')), ['KeyA', 'Enter', 'KeyB', 'Enter', 'KeyC', 'Tab', 'KeyD']);
});
