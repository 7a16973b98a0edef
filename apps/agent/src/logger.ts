/** A tiny levelled logger: JSON lines (for journald/collectors) or plain text (for people). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  level: LogLevel = 'info',
  format: 'json' | 'plain' = 'json',
  out = process.stderr,
): Logger {
  const write = (l: LogLevel, msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[l] < ORDER[level]) return;
    const f = Object.fromEntries(
      Object.entries(fields).map(([k, v]) => [k, v instanceof Error ? { message: v.message, ...(v as object) } : v]),
    );
    const time = new Date().toISOString();
    out.write(
      format === 'json'
        ? `${JSON.stringify({ time, level: l, msg, ...f })}\n`
        : `${time} ${l.toUpperCase().padEnd(5)} ${msg}${Object.keys(f).length ? ` ${JSON.stringify(f)}` : ''}\n`,
    );
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
