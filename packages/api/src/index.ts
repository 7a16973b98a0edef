export type { AppRouter } from './root.ts';
export { appRouter } from './root.ts';
export { createManagerEdge, type ManagerEdge } from './edge/manager-edge.ts';
export { managerEnv } from './env.ts';
export { reconcileOnStart } from './services/startup.ts';
export { startAlerts } from './services/alerts-service.ts';
export type * from './views.ts';
export type { CreateVmInput } from './schemas/vm.ts';
export type { StatsHistory, StatsHistoryPoint, StatsRange } from './services/stats-history.ts';
