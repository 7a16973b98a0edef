import { affinityRouter } from './routers/affinity.ts';
import { alertRouter } from './routers/alert.ts';
import { apiTokenRouter } from './routers/api-token.ts';
import { auditRouter } from './routers/audit.ts';
import { authRouter } from './routers/auth.ts';
import { balancerRouter } from './routers/balancer.ts';
import { bulkRouter, savedSearchRouter, tagRouter } from './routers/bulk.ts';
import { clusterRouter } from './routers/cluster.ts';
import { consoleShareRouter } from './routers/console-share.ts';
import { eventRouter } from './routers/event.ts';
import { flavorRouter } from './routers/flavor.ts';
import { haRouter } from './routers/ha.ts';
import { haSettingsRouter } from './routers/ha-settings.ts';
import { hostRouter } from './routers/host.ts';
import { imageRouter } from './routers/image.ts';
import { inventoryRouter } from './routers/inventory.ts';
import { liveRouter } from './routers/live.ts';
import { storageRouter } from './routers/storage.ts';
import { networkRouter } from './routers/network.ts';
import { permissionRouter } from './routers/permission.ts';
import { placementRouter } from './routers/placement.ts';
import { showbackRouter } from './routers/showback.ts';
import { projectRouter } from './routers/project.ts';
import { portalRouter } from './routers/portal.ts';
import { quotaRouter, vmRequestRouter } from './routers/quota.ts';
import { snapshotRouter } from './routers/snapshot.ts';
import { taskRouter } from './routers/task.ts';
import { templateRouter } from './routers/template.ts';
import { totpRouter } from './routers/totp.ts';
import { userRouter } from './routers/user.ts';
import { vmRouter } from './routers/vm.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  auth: authRouter,
  host: hostRouter,
  vm: vmRouter,
  template: templateRouter,
  task: taskRouter,
  event: eventRouter,
  user: userRouter,
  live: liveRouter,
  alert: alertRouter,
  cluster: clusterRouter,
  storage: storageRouter,
  image: imageRouter,
  network: networkRouter,
  snapshot: snapshotRouter,
  bulk: bulkRouter,
  tag: tagRouter,
  savedSearch: savedSearchRouter,
  affinity: affinityRouter,
  placement: placementRouter,
  inventory: inventoryRouter,
  balancer: balancerRouter,
  ha: haRouter,
  haSettings: haSettingsRouter,
  totp: totpRouter,
  apiToken: apiTokenRouter,
  consoleShare: consoleShareRouter,
  audit: auditRouter,
  showback: showbackRouter,
  project: projectRouter,
  permission: permissionRouter,
  flavor: flavorRouter,
  portal: portalRouter,
  quota: quotaRouter,
  vmRequest: vmRequestRouter,
});

export type AppRouter = typeof appRouter;
