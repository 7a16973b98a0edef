/**
 * The manager process: one Node HTTP server in which the manager's edge (tRPC, agent link,
 * console WebSockets) sits in front of Next.js, which renders the UI. Several such processes may
 * share one PostgreSQL database (see docs/architecture.md, "Several managers").
 */
import { createServer } from 'node:http';
import { createManagerEdge, leaveCluster, managerEnv, reconcileOnStart, startAlerts } from '@vireo/api';
import next from 'next';

const env = managerEnv();
const app = next({ dev: env.NODE_ENV === 'development', dir: import.meta.dirname });
const handleNext = app.getRequestHandler();

await app.prepare();
const { tasksFailed } = await reconcileOnStart();
if (tasksFailed > 0) console.log(`Failed ${tasksFailed} task(s) interrupted by the last stop.`);
await startAlerts();

const edge = createManagerEdge();
const upgradeNext = app.getUpgradeHandler();

const server = createServer((req, res) => {
  if (edge.handleRequest(req, res)) return;
  edge.preparePage(req, res);
  handleNext(req, res).catch((err) => {
    console.error('Next.js failed on', req.url, err);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});

// The edge answers every upgrade except Next's development HMR socket (development mode only).
server.on('upgrade', (req, socket, head) => {
  if (edge.handleUpgrade(req, socket, head)) return;
  upgradeNext(req, socket, head);
});

server.listen(env.VIREO_PORT, env.VIREO_LISTEN, () => {
  console.log(`Vireo manager listening on http://${env.VIREO_LISTEN}:${env.VIREO_PORT}`);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close();
  // Tell the other managers at once; never hang the stop on a slow database.
  const left = leaveCluster().catch((err) => console.error('Could not leave the cluster cleanly:', err));
  Promise.race([left, new Promise((resolve) => setTimeout(resolve, 2000))]).finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
