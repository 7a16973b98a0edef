/** Prints a fresh one-time enrollment token (valid 1 h) for an agent; used by bring-up and tests. */
import { closeDb, clusters, enrollment } from '@vireo/db';

const cluster = await clusters.ensure('Default', 'Default');
const { token } = await enrollment.create(cluster.id, 3600_000);
console.log(token);
await closeDb();
