'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { plural } from '../ui/format';
import { PageHeader } from '../ui/page-header';
import { NameDialog, useInventoryRefresh } from './inventory-dialogs';
import { InventoryDetails } from './inventory-details';
import { InventoryTree } from './inventory-tree';
import { ancestorKeys, nodeKey, parseKey } from './tree-model';
import { useCan } from '../permissions/use-can';

/**
 * Inventory (issue 8): datacenters → clusters → hosts → VMs on the left, the selected node's
 * details and actions on the right. The tree refetches on inventory, host and VM changes pushed
 * by the live stream (live/patch-cache.ts).
 */
export function InventoryView() {
  const trpc = useTRPC();
  const managesSystem = useCan('manage', 'system', '');
  const tree = useQuery(trpc.inventory.tree.queryOptions());
  const [expanded, setExpanded] = useState<Set<string> | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const refresh = useInventoryRefresh();
  const create = useMutation(
    trpc.inventory.createDatacenter.mutationOptions({
      onSuccess: ({ id }) => {
        refresh();
        setCreating(false);
        select(nodeKey('datacenter', id));
      },
    }),
  );

  // First load: datacenters and clusters open, hosts closed (their VMs load when opened).
  useEffect(() => {
    if (!tree.data || expanded) return;
    setExpanded(
      new Set([
        ...tree.data.datacenters.map((d) => nodeKey('datacenter', d.id)),
        ...tree.data.clusters.map((c) => nodeKey('cluster', c.id)),
      ]),
    );
  }, [tree.data, expanded]);

  const hosts = tree.data?.hosts ?? [];
  const running = hosts.reduce((n, h) => n + h.vmsRunning, 0);
  const total = hosts.reduce((n, h) => n + h.vmsTotal, 0);
  const node = useMemo(() => (selected ? parseKey(selected) : null), [selected]);

  // Selecting a node opens the way to it, once the tree holds it (a cluster just created appears
  // with the refetch that follows): only then, so a parent the user closes later stays closed.
  const [reveal, setReveal] = useState<string | null>(null);
  const select = (key: string | null) => {
    setSelected(key);
    setReveal(key);
  };
  useEffect(() => {
    if (!reveal || !tree.data || !expanded) return;
    const path = ancestorKeys(tree.data, reveal);
    if (!path) return;
    setReveal(null);
    if (path.every((k) => expanded.has(k))) return;
    setExpanded(new Set([...expanded, ...path]));
  }, [reveal, tree.data, expanded]);

  return (
    <>
      <PageHeader
        title="Inventory"
        meta={
          tree.data && (
            <span data-testid="inventory-summary">
              {`${plural(tree.data.datacenters.length, 'datacenter')} · ${plural(tree.data.clusters.length, 'cluster')} · ${plural(hosts.length, 'host')} · ${running} of ${plural(total, 'VM')} running`}
            </span>
          )
        }
        actions={
          managesSystem && (
            <button
              type="button"
              className={btn.primary}
              data-testid="inventory-new-datacenter"
              onClick={() => setCreating(true)}
            >
              New datacenter
            </button>
          )
        }
      />
      {tree.error && (
        <div className="p-4">
          <ErrorText error={tree.error} />
        </div>
      )}
      <div className="flex min-h-0 flex-1 flex-col md:flex-row">
        <div className="flex max-h-[45vh] min-h-0 flex-col border-b border-zinc-200 bg-white md:max-h-none md:w-80 md:border-r md:border-b-0 lg:w-96">
          {tree.data && expanded ? (
            <InventoryTree
              data={tree.data}
              expanded={expanded}
              selected={selected}
              onExpandedChange={setExpanded}
              onSelect={select}
            />
          ) : (
            <p className="p-4 text-sm text-zinc-500">Loading inventory…</p>
          )}
        </div>
        <div className="min-h-0 flex-1 overflow-auto bg-zinc-50">
          {tree.data && <InventoryDetails data={tree.data} node={node} onSelect={select} />}
        </div>
      </div>
      {creating && (
        <NameDialog
          title="New datacenter"
          submitLabel="Create datacenter"
          testId="datacenter-create-dialog"
          busy={create.isPending}
          error={create.error}
          onSubmit={(name) => create.mutate({ name })}
          onClose={() => setCreating(false)}
        />
      )}
    </>
  );
}
