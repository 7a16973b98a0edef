/**
 * The server's half of a view-only VNC console: what a shared viewer's browser sends towards the
 * VM passes through this filter, which lets through only what a viewer needs (the handshake,
 * SetPixelFormat, SetEncodings, FramebufferUpdateRequest, continuous updates and fences) and
 * drops every input message (KeyEvent, PointerEvent, ClientCutText, QEMU's extended key event,
 * SetDesktopSize). noVNC's viewOnly flag is a courtesy; this is the enforcement: a viewer that
 * writes its own RFB client still cannot type. Anything it cannot parse ends the session, since
 * after an unknown message the stream's framing is lost.
 *
 * RFB 3.7/3.8 client → server (RFC 6143 §7): ProtocolVersion (12 bytes), the chosen security type
 * (1 byte), for VNC authentication the 16-byte response, ClientInit (1 byte: shared flag), then
 * messages, each starting with its type byte. Pure, so unit tests prove it.
 */

type Stage = 'version' | 'security' | 'vncAuth' | 'clientInit' | 'messages';

/** A ClientCutText or fence larger than this is not a viewer's: refused rather than buffered. */
const MAX_MESSAGE = 1024 * 1024;

export type FilterResult = { forward: Buffer; dropped: number } | { refuse: string };

/** Length of the message at the start of `b`, or 0 when more bytes are needed. */
type Measure = (b: Buffer) => number;

const fixed =
  (n: number): Measure =>
  (b) =>
    b.length >= n ? n : 0;

const RULES: Record<number, { allow: boolean; length: Measure; name: string }> = {
  0: { allow: true, name: 'SetPixelFormat', length: fixed(20) },
  2: { allow: true, name: 'SetEncodings', length: (b) => (b.length >= 4 ? 4 + 4 * b.readUInt16BE(2) : 0) },
  3: { allow: true, name: 'FramebufferUpdateRequest', length: fixed(10) },
  4: { allow: false, name: 'KeyEvent', length: fixed(8) },
  5: { allow: false, name: 'PointerEvent', length: fixed(6) },
  // A negative length is the extended clipboard's (its payload is |length| bytes).
  6: { allow: false, name: 'ClientCutText', length: (b) => (b.length >= 8 ? 8 + Math.abs(b.readInt32BE(4)) : 0) },
  150: { allow: true, name: 'EnableContinuousUpdates', length: fixed(10) },
  248: { allow: true, name: 'ClientFence', length: (b) => (b.length >= 9 ? 9 + b.readUInt8(8) : 0) },
  251: { allow: false, name: 'SetDesktopSize', length: (b) => (b.length >= 8 ? 8 + 16 * b.readUInt8(6) : 0) },
};

/** QEMU's client message (type 255): only the extended key event (subtype 0) has a known size. */
const QEMU_EXTENDED_KEY = { allow: false, name: 'QEMU extended key event', length: fixed(12) };

export class ViewOnlyRfbFilter {
  private stage: Stage = 'version';
  private pending: Buffer = Buffer.alloc(0);

  /** The bytes of `chunk` (with any held before) that may reach the VM, or why to end the session. */
  push(chunk: Buffer): FilterResult {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    let dropped = 0;
    for (;;) {
      const step = this.next();
      if ('refuse' in step) return step;
      if (step.length === 0) break;
      const message = this.pending.subarray(0, step.length);
      this.pending = this.pending.subarray(step.length);
      if (step.allow) out.push(step.rewrite ? step.rewrite(message) : message);
      else dropped++;
    }
    if (this.pending.length > MAX_MESSAGE) return { refuse: 'message too large for a view-only console' };
    return { forward: Buffer.concat(out), dropped };
  }

  /** The next whole unit at the start of `pending` (length 0: wait for more) and what to do with it. */
  private next(): { length: number; allow: boolean; rewrite?: (b: Buffer) => Buffer } | { refuse: string } {
    const b = this.pending;
    if (b.length === 0) return { length: 0, allow: true };
    switch (this.stage) {
      case 'version': {
        if (b.length < 12) return { length: 0, allow: true };
        const m = /^RFB 003\.00(\d)\n$/.exec(b.subarray(0, 12).toString('latin1'));
        if (!m || Number(m[1]) < 7) return { refuse: 'unsupported RFB version for a view-only console' };
        this.stage = 'security';
        return { length: 12, allow: true };
      }
      case 'security': {
        const type = b.readUInt8(0);
        if (type === 1) this.stage = 'clientInit';
        else if (type === 2) this.stage = 'vncAuth';
        else return { refuse: `security type ${type} is not allowed on a view-only console` };
        return { length: 1, allow: true };
      }
      case 'vncAuth':
        if (b.length < 16) return { length: 0, allow: true };
        this.stage = 'clientInit';
        return { length: 16, allow: true };
      case 'clientInit':
        this.stage = 'messages';
        // Always shared: an exclusive viewer would disconnect the VM owner's own console.
        return { length: 1, allow: true, rewrite: () => Buffer.from([1]) };
      case 'messages': {
        const type = b.readUInt8(0);
        let rule = RULES[type];
        if (type === 255) {
          if (b.length < 2) return { length: 0, allow: true };
          if (b.readUInt8(1) === 0) rule = QEMU_EXTENDED_KEY;
        }
        if (!rule) return { refuse: `RFB message ${type} is not allowed on a view-only console` };
        const length = rule.length(b);
        if (length > MAX_MESSAGE + 16) return { refuse: `${rule.name} too large for a view-only console` };
        if (length === 0 || b.length < length) return { length: 0, allow: true };
        return { length, allow: rule.allow };
      }
    }
  }
}
