// PostgreSQL LISTEN/NOTIFY, for the manager's change bus when several managers share one
// PostgreSQL database. A dedicated connection (not the Prisma pool): LISTEN lives on one session.
import pg from 'pg';
import { databaseUrl } from './database-url.ts';

/** NOTIFY payloads are limited to 8000 bytes by PostgreSQL; callers split larger messages. */
export const MAX_NOTIFY_PAYLOAD = 7900;

export function isPostgresUrl(url: string = databaseUrl()): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export interface NotifyChannel {
  notify(payload: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Listens on `channel` and calls `onMessage` for every notification (its own included: callers
 * tag messages with their origin). `onError` hears a lost connection; the caller reopens.
 */
export async function openNotifyChannel(
  channel: string,
  onMessage: (payload: string) => void,
  onError: (err: Error) => void,
): Promise<NotifyChannel> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`bad channel name ${channel}`);
  const client = new pg.Client({ connectionString: databaseUrl() });
  client.on('notification', (n) => {
    if (n.channel === channel && n.payload !== undefined) onMessage(n.payload);
  });
  client.on('error', onError);
  await client.connect();
  await client.query(`LISTEN ${channel}`);
  return {
    async notify(payload) {
      if (Buffer.byteLength(payload) > MAX_NOTIFY_PAYLOAD) throw new Error('bus payload too large for NOTIFY');
      await client.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async close() {
      await client.end().catch(() => {});
    },
  };
}
