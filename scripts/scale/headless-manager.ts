/**
 * The manager without its Next.js UI renderer: Vireo's edge (tRPC over HTTP and SSE, agent
 * enrollment and WebSockets, consoles) on the same start-up path as apps/web/server.ts, and 404
 * for everything else. For scale runs on a machine without a web build; figures taken with it
 * leave out Next.js's own memory (the harness can run apps/web/server.ts instead: --next).
 */
import { createServer } from 'node:http';
import { createManagerEdge, managerEnv, reconcileOnStart } from '@vireo/api';

const env = managerEnv();
await reconcileOnStart();
const edge = createManagerEdge();

const server = createServer((req, res) => {
  if (edge.handleRequest(req, res)) return;
  res.writeHead(404).end();
});
server.on('upgrade', (req, socket, head) => {
  if (!edge.handleUpgrade(req, socket, head)) socket.destroy();
});
server.listen(env.VIREO_PORT, env.VIREO_LISTEN, () => {
  console.log(`Vireo manager (headless) listening on http://${env.VIREO_LISTEN}:${env.VIREO_PORT}`);
});

const stop = () => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
