// @vireo/db: the only package that knows Prisma. Repositories are namespaces:
//   import { vms, tasks } from "@vireo/db"; await vms.byName("web-1");
export { closeDb, defaultDatabaseUrl, getDb } from './client.ts';
export * from './enums.ts';
export {
  type ObjectKind,
  ROLES,
  type Role,
  type RoleBindingView,
  SCOPE_KINDS,
  type ScopeKind,
} from './role-bindings.ts';
export { PUBLICATION_KINDS, type ProjectView, type PublicationKind, QUOTA_KINDS, type Quotas } from './projects.ts';
export type { InfraScope, VmVisibility } from './vm-visibility.ts';
export type { Usage } from './projects.ts';
export type { FlavorView } from './flavors.ts';
export { DbConflictError, DbError, type DbErrorCode, DbNotFoundError } from './errors.ts';
export { hashPassword, verifyPassword } from './password.ts';
export { isPostgresUrl, MAX_NOTIFY_PAYLOAD, type NotifyChannel, openNotifyChannel } from './notify.ts';
export { generateToken, hashToken } from './tokens.ts';

export * as affinityGroups from './affinity-groups.ts';
export * as apiTokens from './api-tokens.ts';
export * as audit from './audit.ts';
export * as alerts from './alerts.ts';
export * as clusters from './clusters.ts';
export * as clusterBalancer from './cluster-balancer.ts';
export * as haSettings from './ha-settings.ts';
export * as enrollment from './enrollment.ts';
export * as events from './events.ts';
export * as consoleShareLinks from './console-share-links.ts';
export * as flavors from './flavors.ts';
export * as consoleTickets from './console-tickets.ts';
export * as haSignals from './ha-signals.ts';
export * as hostDomains from './host-domains.ts';
export * as hostMaintenance from './host-maintenance.ts';
export * as hostRemoval from './host-removal.ts';
export * as ha from './ha.ts';
export * as hosts from './hosts.ts';
export * as inventory from './inventory.ts';
export * as imageUploads from './image-uploads.ts';
export * as managers from './managers.ts';
export * as networks from './networks.ts';
export * as oidcUsers from './oidc-users.ts';
export * as projects from './projects.ts';
export * as leases from './leases.ts';
export * as usage from './usage.ts';
export { NO_PROJECT_ID } from './usage.ts';
export type { LeasePolicy, VmLease } from './leases.ts';
export type { Prices, UsageAdd, UsageBucketRow, VmAllocation } from './usage.ts';
export * as quotas from './quotas.ts';
export * as vmRequests from './vm-requests.ts';
export * as roleBindings from './role-bindings.ts';
export * as sessions from './sessions.ts';
export * as stats from './stats.ts';
export * as storagePools from './storage-pools.ts';
export * as tasks from './tasks.ts';
export * as totp from './totp.ts';
export * as templates from './templates.ts';
export * as users from './users.ts';
export * as vmLocks from './vm-locks.ts';
export * as snapshots from './snapshots.ts';
export * as vms from './vms.ts';
export * as vmHardware from './vm-hardware.ts';
export * as vmDisks from './vm-disks.ts';
export * as vmDevices from './vm-devices.ts';
export * as vmSeed from './vm-seed.ts';
export * as vmAutostart from './vm-autostart.ts';
export * as vmTags from './vm-tags.ts';
export * as vmDescription from './vm-description.ts';
export * as vmMigrations from './vm-migrations.ts';
export * as migrationSlots from './migration-slots.ts';
export * as savedSearches from './saved-searches.ts';
export * as bulkItems from './bulk-items.ts';
export type { BulkItemInput, BulkItemRecord, BulkOutcome } from './bulk-items.ts';
export type { SavedSearchRecord } from './saved-searches.ts';
export { INTERRUPTED_REASON } from './vms.ts';
export type { MaintenanceRecord, MaintenanceState } from './host-maintenance.ts';
export { MAINTENANCE_STATES } from './host-maintenance.ts';

// Repository result types (plain numbers for byte sizes, parsed JSON, typed enums).
export type { ApiTokenScope, ApiTokenView, ValidApiToken } from './api-tokens.ts';
export { API_TOKEN_SCOPES, TOKEN_PREFIX } from './api-tokens.ts';
export type { AuditCursor, AuditFilter, AuditInput, AuditRecord, AuthKind } from './audit.ts';
export type { AffinityGroupRecord, AffinityKind } from './affinity-groups.ts';
export type {
  AlertMetric,
  AlertObjectType,
  AlertOpenInput,
  AlertRecord,
  AlertRuleInput,
  AlertRuleRecord,
  AlertScope,
  AlertState,
} from './alerts.ts';
export { ALERT_METRICS, ALERT_SCOPES, ALERT_STATES } from './alerts.ts';
export type { ClusterPolicies, ClusterView, PlacementPolicy } from './clusters.ts';
export { PLACEMENT_POLICIES } from './clusters.ts';
export type { ClusterBlockers, ClusterRecord, DatacenterRecord, Tree, TreeCluster, TreeHost } from './inventory.ts';
export type { ConsumeResult, EnrollmentTokenStatus, EnrollmentTokenView } from './enrollment.ts';
export type { EventInput, EventView } from './events.ts';
export type { HaClusterConfig, HaHostRow, HaVmRow } from './ha.ts';
export type { HostConnectInput, HostFacts, HostGauges, HostView } from './hosts.ts';
export type { HostDomainInput, HostDomainView } from './host-domains.ts';
export type { ImageUploadInput, ImageUploadState, ImageUploadView } from './image-uploads.ts';
export type { ManagerView } from './managers.ts';
export type {
  NetworkInput,
  NetworkRecord,
  NetworkScope,
  SecurityGroupRecord,
  SecurityRuleInput,
  SecurityRuleRecord,
  StaticLeaseRecord,
} from './networks.ts';
export { NETWORK_SCOPES } from './networks.ts';
export type { ConsoleShareLinkView } from './console-share-links.ts';
export type { ConsoleKind, ConsoleTicketView } from './console-tickets.ts';
export type { ValidSession } from './sessions.ts';
export type { StatObjectKind, StatRow } from './stats.ts';
export type { PoolScope, StoragePoolInput, StoragePoolRecord } from './storage-pools.ts';
export { POOL_SCOPES } from './storage-pools.ts';
export type { TaskCreateInput, TaskView } from './tasks.ts';
export type {
  TemplateDeleteResult,
  TemplateDiskRow,
  TemplateInput,
  TemplateNicRow,
  TemplateVersionInput,
  TemplateVersionView,
  TemplateView,
  TemplateWithVersions,
} from './templates.ts';
export type { UserChangeRefusal, UserChangeResult, UserListItem, UserView, UserWithPassword } from './users.ts';
export type { HostLoad, VmCreateInput, VmPageQuery, VmSortKey, VmView } from './vms.ts';
export { VM_SORT_KEYS } from './vms.ts';
export type { BootEntryRow, VmDiskRow, VmHardwareView, VmNicRow } from './vm-hardware.ts';

// Raw row types as Prisma generates them (BigInt memory, String enums).
export type {
  Cluster,
  Datacenter,
  EnrollmentToken,
  Event,
  Host,
  Session,
  Task,
  Template,
  User,
  Vm,
} from './generated/client.ts';
export type { ScheduleRow, SnapshotFact, SnapshotRow } from './snapshots.ts';
export type { MigrationSlotRow } from './migration-slots.ts';
export type {
  ClusterHaRecord,
  ClusterHaSettings,
  ClusterHaVm,
  HostFenceRecord,
  VmHaRecord,
  VmHaSettings,
} from './ha-settings.ts';
export type { QuotaKind } from './projects.ts';
export type { QuotaDelta } from './quotas.ts';
export type { VmRequestState, VmRequestView } from './vm-requests.ts';
export { VM_REQUEST_STATES } from './vm-requests.ts';
