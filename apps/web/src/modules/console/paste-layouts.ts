/**
 * Text → key presses for "Paste text", per keyboard layout. QEMU's VNC server takes the QEMU
 * Extended Key Event, and then noVNC sends the scancode of the physical key (KeyboardEvent.code),
 * not the keysym: the guest's own keyboard layout turns scancodes into characters. So to type
 * "z" into a guest set to German we must press the key where US keyboards have Y. Each layout
 * below says, for every character it can type, which physical key and which modifier (Shift or
 * AltGr) a person would press; a character a layout cannot type is refused before anything is
 * sent. Keysyms (X11 keysymdef.h) go along for VNC servers without the extension.
 */

export const XK_Return = 0xff0d;
export const XK_Tab = 0xff09;
export const XK_space = 0x20;
export const XK_Shift_L = 0xffe1;
export const XK_Control_L = 0xffe3;
export const XK_Alt_L = 0xffe9;
/** AltGr, the right Alt key of European layouts. */
export const XK_ISO_Level3_Shift = 0xfe03;
/** F1 … F12 are consecutive keysyms (XK_F1 = 0xffbe). */
export const XK_F = (n: number) => 0xffbe + n - 1;

export type Modifier = 'none' | 'shift' | 'altgr';

export interface KeyStroke {
  /** The character typed (for Enter, "\n"). */
  char: string;
  keysym: number;
  /** KeyboardEvent.code of the physical key (US names, as noVNC's scancode table has them). */
  code: string;
  modifier: Modifier;
  /** A dead key: the guest waits for the next key, so a Space follows to type the accent alone. */
  dead: boolean;
}

export const PASTE_LAYOUTS = [
  { id: 'en-us', label: 'English (US)' },
  { id: 'de', label: 'German (QWERTZ)' },
  { id: 'fr', label: 'French (AZERTY)' },
] as const;

export type PasteLayout = (typeof PASTE_LAYOUTS)[number]['id'];

export const isPasteLayout = (s: string | null): s is PasteLayout => PASTE_LAYOUTS.some((l) => l.id === s);

/**
 * One row per physical key: [code, plain, shifted, altgr]; '' where the key types nothing.
 * A character followed by DEAD is a dead key on that layout (as in the default X11 and Linux
 * console variants; the "nodeadkeys" variants would then type a stray space).
 */
type KeyRow = [code: string, plain: string, shift?: string, altgr?: string];
const DEAD = '\u0000';

const letters = (map: Record<string, string> = {}): KeyRow[] =>
  Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ', (l) => {
    const ch = map[l] ?? l.toLowerCase();
    return [`Key${l}`, ch, ch.toUpperCase()];
  });

const US: KeyRow[] = [
  ...letters(),
  ...Array.from('0123456789', (d, i) => [`Digit${d}`, d, ')!@#$%^&*('[i]] as KeyRow),
  ['Minus', '-', '_'],
  ['Equal', '=', '+'],
  ['BracketLeft', '[', '{'],
  ['BracketRight', ']', '}'],
  ['Backslash', '\\', '|'],
  ['Semicolon', ';', ':'],
  ['Quote', "'", '"'],
  ['Comma', ',', '<'],
  ['Period', '.', '>'],
  ['Slash', '/', '?'],
  ['Backquote', '`', '~'],
];

/** German T1 (QWERTZ). */
const DE: KeyRow[] = [
  ...letters({ Y: 'z', Z: 'y' }),
  ['Digit1', '1', '!'],
  ['Digit2', '2', '"', '²'],
  ['Digit3', '3', '§', '³'],
  ['Digit4', '4', '$'],
  ['Digit5', '5', '%'],
  ['Digit6', '6', '&'],
  ['Digit7', '7', '/', '{'],
  ['Digit8', '8', '(', '['],
  ['Digit9', '9', ')', ']'],
  ['Digit0', '0', '=', '}'],
  ['Minus', 'ß', '?', '\\'],
  ['Equal', `´${DEAD}`, `\`${DEAD}`],
  ['KeyQ', 'q', 'Q', '@'],
  ['KeyE', 'e', 'E', '€'],
  ['KeyM', 'm', 'M', 'µ'],
  ['BracketLeft', 'ü', 'Ü'],
  ['BracketRight', '+', '*', '~'],
  ['Semicolon', 'ö', 'Ö'],
  ['Quote', 'ä', 'Ä'],
  ['Backslash', '#', "'"],
  ['IntlBackslash', '<', '>', '|'],
  ['Comma', ',', ';'],
  ['Period', '.', ':'],
  ['Slash', '-', '_'],
  ['Backquote', `^${DEAD}`, '°'],
];

/** French AZERTY (as X11 "fr" and the Linux console "fr" keymap: AltGr+2/7/9 are not dead). */
const FR: KeyRow[] = [
  ...letters({ Q: 'a', A: 'q', W: 'z', Z: 'w' }).map(
    ([code, plain, shift]): KeyRow => (code === 'KeyM' ? [code, ',', '?'] : [code, plain, shift]),
  ),
  ['Semicolon', 'm', 'M'],
  ['Digit1', '&', '1'],
  ['Digit2', 'é', '2', '~'],
  ['Digit3', '"', '3', '#'],
  ['Digit4', "'", '4', '{'],
  ['Digit5', '(', '5', '['],
  ['Digit6', '-', '6', '|'],
  ['Digit7', 'è', '7', '`'],
  ['Digit8', '_', '8', '\\'],
  ['Digit9', 'ç', '9', '^'],
  ['Digit0', 'à', '0', '@'],
  ['Minus', ')', '°', ']'],
  ['Equal', '=', '+', '}'],
  ['KeyE', 'e', 'E', '€'],
  ['BracketLeft', `^${DEAD}`, `¨${DEAD}`],
  ['BracketRight', '$', '£', '¤'],
  ['Quote', 'ù', '%'],
  ['Backslash', '*', 'µ'],
  ['IntlBackslash', '<', '>'],
  ['Comma', ';', '.'],
  ['Period', ':', '/'],
  ['Slash', '!', '§'],
  ['Backquote', '²'],
];

/** X11 keysyms: Latin-1 characters are their code point; others are 0x01000000 + code point. */
const keysymOf = (ch: string): number => {
  const cp = ch.codePointAt(0) ?? 0;
  return cp <= 0xff ? cp : 0x0100_0000 + cp;
};

const MODIFIERS: Modifier[] = ['none', 'shift', 'altgr'];

function buildTable(rows: KeyRow[]): Map<string, KeyStroke> {
  const table = new Map<string, KeyStroke>();
  const add = (char: string, code: string, modifier: Modifier, dead = false) => {
    // The first way listed wins: a later row only adds characters, so a non-dead AltGr key
    // is not replaced by a dead one (French "^").
    if (!table.has(char)) table.set(char, { char, keysym: keysymOf(char), code, modifier, dead });
  };
  for (const [code, ...chars] of rows) {
    chars.forEach((entry, i) => {
      if (!entry) return;
      const dead = entry.endsWith(DEAD);
      add(dead ? entry.slice(0, -1) : entry, code, MODIFIERS[i] ?? 'none', dead);
    });
  }
  // The same on every layout here.
  add(' ', 'Space', 'none');
  table.set('\n', { char: '\n', keysym: XK_Return, code: 'Enter', modifier: 'none', dead: false });
  table.set('\t', { char: '\t', keysym: XK_Tab, code: 'Tab', modifier: 'none', dead: false });
  return table;
}

/** Non-dead keys first, so a character typed both ways (French "^") takes the direct key. */
const orderRows = (rows: KeyRow[]): KeyRow[] => [
  ...rows.map(([code, ...c]): KeyRow => [code, ...c.map((e) => (e?.endsWith(DEAD) ? '' : (e ?? '')))] as KeyRow),
  ...rows,
];

const TABLES: Record<PasteLayout, Map<string, KeyStroke>> = {
  'en-us': buildTable(US),
  de: buildTable(orderRows(DE)),
  fr: buildTable(orderRows(FR)),
};

export type KeyPlan = { ok: true; strokes: KeyStroke[] } | { ok: false; unsupported: string[] };

/**
 * The key strokes that type `text` on a guest using `layout`, or the characters it cannot type
 * (each once, in order of appearance). "\r\n" and "\r" count as one Enter.
 */
export function planKeyStrokes(text: string, layout: PasteLayout): KeyPlan {
  const table = TABLES[layout];
  const strokes: KeyStroke[] = [];
  const unsupported: string[] = [];
  for (const ch of text.replace(/\r\n?/g, '\n')) {
    const stroke = table.get(ch);
    if (stroke) strokes.push(stroke);
    else if (!unsupported.includes(ch)) unsupported.push(ch);
  }
  return unsupported.length ? { ok: false, unsupported } : { ok: true, strokes };
}

/** How a refused character is named to the user: invisible ones by their code point. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp < 0x20 || cp === 0x7f || /\s/u.test(ch) ? hex : `“${ch}” (${hex})`;
}
