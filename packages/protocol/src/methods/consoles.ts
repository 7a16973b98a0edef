/**
 * Text consoles. Like `console.open` (VNC), the agent dials back to the manager's console
 * endpoint with `channelId` and relays bytes; here they are the raw bytes of the VM's first
 * serial port.
 */
import { z } from 'zod';
import { uuidSchema } from '../names.ts';

/**
 * Close codes a console's WebSocket may end with (passed through from the agent to the browser).
 * A console closed because another session took it over must not reconnect by itself, or two
 * users would take it from each other forever.
 */
export const CONSOLE_CLOSE = {
  loggedOut: 4001,
  noHost: 4004,
  takenOver: 4009,
  failed: 4010,
  /** A view-only share link was revoked, or expired, while its view was open. */
  shareRevoked: 4011,
  shareExpired: 4012,
} as const;

/** The one text frame a serial console's browser socket gets: the host's end is joined. */
export const SERIAL_READY_FRAME = '{"t":"ready"}';

export const consoleRequests = {
  /**
   * Open the VM's serial console. A serial port has one reader (bytes read by one are lost to
   * another), so a VM has at most one serial relay per host: a newer one takes over, and the
   * older closes with `CONSOLE_CLOSE.takenOver` (like `virsh console --force`).
   */
  'console.openSerial': {
    params: z.object({ uuid: uuidSchema, channelId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/) }),
    result: z.object({}),
  },
} as const;
