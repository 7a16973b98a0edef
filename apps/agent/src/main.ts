/**
 * The host daemon: config → logger → libvirt-dbus hypervisor → the agent (agent.ts).
 * SIGTERM/SIGINT stop it cleanly.
 */
import { LibvirtDbusHypervisor } from '@vireo/hypervisor';
import { startAgent } from './agent.ts';
import { type AgentConfig, ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';

async function main(): Promise<void> {
  let config: AgentConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, config.logFormat);
  const hv = new LibvirtDbusHypervisor({
    driver: config.libvirtDriver,
    storageDirs: [config.vmStorageDir],
    onError: (err) => logger.error('libvirt connection error', { err: err.message }),
    libvirtdWatchMs: config.libvirtWatchIntervalMs,
  });
  const agent = await startAgent(config, hv, logger);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    await agent.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`vireo-agent failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
