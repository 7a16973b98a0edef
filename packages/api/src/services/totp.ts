/**
 * TOTP (RFC 6238 over RFC 4226 HOTP) as authenticator apps do it: HMAC-SHA-1, 6 digits, 30 s
 * steps, and the otpauth:// URI they read from a QR code. A code is accepted from the current
 * step or one step either side (a phone's clock may drift, and a code typed at the end of its
 * step arrives in the next), and only if its step is later than the last one accepted: one code
 * logs in once, and an older code cannot follow a newer one.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOTP_STEP_S = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of now that still count. */
export const TOTP_DRIFT_STEPS = 1;
export const RECOVERY_CODE_COUNT = 10;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Accepts lower case, spaces and padding, as people copy secrets. @throws on other characters */
export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=]/g, '');
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) throw new Error(`not base32: "${ch}"`);
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new secret: 20 random bytes (160 bits, RFC 4226's recommendation for SHA-1), base32. */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** RFC 4226 HOTP of `counter` (dynamic truncation, then the low `digits` decimal digits). */
export function hotp(key: Uint8Array, counter: number, digits = TOTP_DIGITS): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The step a moment falls in. */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_STEP_S);
}

/** The code for a moment (what the phone shows). */
export function totpCode(secret: string, nowMs: number, digits = TOTP_DIGITS): string {
  return hotp(base32Decode(secret), totpStep(nowMs), digits);
}

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'invalid' | 'used' };

/**
 * Checks a code against the steps around `nowMs`. `lastStep` is the step of the last accepted
 * code: a match at or before it is a replay ('used'). On success, the caller records `step`
 * (atomically, as the new lastStep) before trusting it.
 */
export function checkTotp(secret: string, code: string, nowMs: number, lastStep: number | null): TotpCheck {
  const typed = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(typed)) return { ok: false, reason: 'invalid' };
  const key = base32Decode(secret);
  const now = totpStep(nowMs);
  let used = false;
  // Newest first: if two steps matched (they practically never do), the later one is recorded.
  for (let step = now + TOTP_DRIFT_STEPS; step >= now - TOTP_DRIFT_STEPS; step--) {
    if (!timingSafeEqual(Buffer.from(hotp(key, step)), Buffer.from(typed))) continue;
    if (lastStep !== null && step <= lastStep) used = true;
    else return { ok: true, step };
  }
  return { ok: false, reason: used ? 'used' : 'invalid' };
}

/** What authenticator apps read (Google's Key URI format): label "Vireo:alice", SHA1/6/30 spelled out. */
export function otpauthUri(issuer: string, account: string, secret: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const params = new URLSearchParams({
    secret,
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_S),
  });
  return `otpauth://totp/${label}?${params}`;
}

/** Recovery codes look like `k7qm2-x3pd4`: 10 base32 characters (50 bits), easy to read and type. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const text = base32Encode(randomBytes(7)).slice(0, 10).toLowerCase();
    return `${text.slice(0, 5)}-${text.slice(5)}`;
  });
}

/** The canonical form of a typed recovery code (case, spaces and dashes do not matter), or null. */
export function normalizeRecoveryCode(typed: string): string | null {
  const clean = typed.toLowerCase().replace(/[\s-]/g, '');
  return /^[a-z2-7]{10}$/.test(clean) ? clean : null;
}
