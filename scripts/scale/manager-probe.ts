/**
 * Preloaded into the manager process by the scale harness (`node --import tsx --import
 * scripts/scale/manager-probe.ts …`), so any manager entry can be measured without changing it:
 * once a second, one JSON line with the event-loop delay over that second, RSS, heap and CPU
 * time, appended to $SCALE_PROBE_FILE.
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.SCALE_PROBE_FILE;
if (file) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  setInterval(() => {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const line = {
      at: Date.now(),
      loopP50Ms: ms(delay.percentile(50)),
      loopP99Ms: ms(delay.percentile(99)),
      loopMaxMs: ms(delay.max),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
    };
    delay.reset();
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, 1000).unref();
}
