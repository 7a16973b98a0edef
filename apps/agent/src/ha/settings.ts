/**
 * The HA settings the manager last sent (`ha.configure`), kept in the agent's state dir as
 * ha.json: an agent restarted while cut off from the manager must still know which VMs to force
 * off when its storage heartbeat stops.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type HaConfigureParams, haConfigureParamsSchema } from '@vireo/protocol';
import type { Logger } from '../logger.ts';

/** Until the manager says otherwise: a heartbeat every 2 s, self-fence after 10 s, no HA VMs. */
export const HA_DEFAULTS: HaConfigureParams = { intervalMs: 2_000, selfFenceAfterMs: 10_000, haVmUuids: [] };

const settingsPath = (stateDir: string) => join(stateDir, 'ha.json');

/** The saved settings, or the defaults when there are none or they do not validate. */
export async function loadHaSettings(stateDir: string, logger: Logger): Promise<HaConfigureParams> {
  let text: string;
  try {
    text = await readFile(settingsPath(stateDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn('could not read ha.json', { err });
    return HA_DEFAULTS;
  }
  try {
    const parsed = haConfigureParamsSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
    logger.warn('ha.json is not valid; using the HA defaults', { issues: parsed.error.issues.slice(0, 3) });
  } catch (err) {
    logger.warn('ha.json is not JSON; using the HA defaults', { err });
  }
  return HA_DEFAULTS;
}

/** Written to a temp file, fsynced, then renamed: a crash leaves the old file or the new one. */
export async function saveHaSettings(stateDir: string, settings: HaConfigureParams): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(settingsPath(stateDir), `${JSON.stringify(settings)}\n`);
}

/** Temp file in the same dir + fsync + rename. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
