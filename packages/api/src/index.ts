export type { AppRouter } from './root.ts';
export { appRouter } from './root.ts';
export { createManagerEdge, type ManagerEdge } from './edge/manager-edge.ts';
export { managerEnv } from './env.ts';
export { leaveCluster } from './services/cluster.ts';
export { reconcileOnStart } from './services/startup.ts';
export type * from './views.ts';
export type { CreateVmInput } from './schemas/vm.ts';
