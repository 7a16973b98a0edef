/**
 * Text → key presses for "Paste as keystrokes". Printable ASCII keysyms equal their code points
 * (X11 keysymdef.h, Latin-1 block); control keys live at 0xff00+. We also send the physical key
 * (KeyboardEvent.code, US layout) and an explicit Shift: QEMU supports the QEMU Extended Key Event,
 * and then noVNC sends the scancode of `code`, not the keysym, so "A" needs Shift held like a
 * real keyboard would; without the extension QEMU maps the keysym through its keymap instead.
 */

export const XK_Return = 0xff0d;
export const XK_Tab = 0xff09;
export const XK_Shift_L = 0xffe1;
export const XK_Control_L = 0xffe3;
export const XK_Alt_L = 0xffe9;
/** F1 … F12 are consecutive keysyms (XK_F1 = 0xffbe). */
export const XK_F = (n: number) => 0xffbe + n - 1;

export interface KeyStroke {
  keysym: number;
  code: string | null;
  shift: boolean;
}

const DIGIT_SHIFTED = ')!@#$%^&*(';

/** Punctuation on a US keyboard: [unshifted, shifted, code]. */
const PUNCTUATION: [string, string, string][] = [
  ['-', '_', 'Minus'],
  ['=', '+', 'Equal'],
  ['[', '{', 'BracketLeft'],
  [']', '}', 'BracketRight'],
  ['\\', '|', 'Backslash'],
  [';', ':', 'Semicolon'],
  ["'", '"', 'Quote'],
  [',', '<', 'Comma'],
  ['.', '>', 'Period'],
  ['/', '?', 'Slash'],
  ['`', '~', 'Backquote'],
];

function codeFor(ch: string): { code: string; shift: boolean } | null {
  if (ch >= 'a' && ch <= 'z') return { code: `Key${ch.toUpperCase()}`, shift: false };
  if (ch >= 'A' && ch <= 'Z') return { code: `Key${ch}`, shift: true };
  if (ch >= '0' && ch <= '9') return { code: `Digit${ch}`, shift: false };
  const shiftedDigit = DIGIT_SHIFTED.indexOf(ch);
  if (shiftedDigit !== -1) return { code: `Digit${shiftedDigit}`, shift: true };
  if (ch === ' ') return { code: 'Space', shift: false };
  for (const [plain, shifted, code] of PUNCTUATION) {
    if (ch === plain) return { code, shift: false };
    if (ch === shifted) return { code, shift: true };
  }
  return null;
}

/** The key stroke for one character, or null if it cannot be typed (non-ASCII, control chars). */
export function keyStrokeFor(ch: string): KeyStroke | null {
  if (ch === '\n' || ch === '\r') return { keysym: XK_Return, code: 'Enter', shift: false };
  if (ch === '\t') return { keysym: XK_Tab, code: 'Tab', shift: false };
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp > 0x7e) return null;
  const physical = codeFor(ch);
  return { keysym: cp, code: physical?.code ?? null, shift: physical?.shift ?? false };
}

/** Normalises line endings so "\r\n" becomes a single Enter. */
export function keyStrokesFor(text: string): { strokes: KeyStroke[]; skipped: number } {
  const strokes: KeyStroke[] = [];
  let skipped = 0;
  for (const ch of text.replace(/\r\n?/g, '\n')) {
    const stroke = keyStrokeFor(ch);
    if (stroke) strokes.push(stroke);
    else skipped += 1;
  }
  return { strokes, skipped };
}
