/**
 * The API's types, for the web app: the view shapes the API declares, and router inputs/outputs
 * inferred from the router itself so the browser never drifts from the contract.
 */
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@vireo/api';

export type {
  AlertMetric,
  AlertRuleView,
  AlertScope,
  AlertView,
  EventView,
  HostStatus,
  HostView,
  LiveChange,
  StatsBatch,
  TaskState,
  TaskView,
  TemplateListItem,
  TemplateVersionItem,
  TemplateView,
  UserView,
  VmState,
  VmView,
} from '@vireo/api';

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
