'use client';

import { useState } from 'react';
import { btn } from '../ui/buttons';
import { ACTION_LABEL, type BulkAction, BulkDialog, type BulkTarget } from './bulk-dialog';

const ACTIONS: BulkAction[] = ['start', 'shutdown', 'forceOff', 'snapshot', 'tag', 'untag', 'delete'];

/**
 * The bar over the VM list while VMs are checked (or a saved search is applied): the bulk
 * actions on that target, each opening its dry run.
 */
export function BulkBar({ target, label, onClear }: { target: BulkTarget; label: string; onClear?: () => void }) {
  const [action, setAction] = useState<BulkAction | null>(null);
  return (
    <div
      data-testid="bulk-bar"
      className="flex shrink-0 flex-wrap items-center gap-2 border-b border-sky-200 bg-sky-50 px-4 py-1.5 text-sm"
    >
      <span className="mr-2 font-medium text-sky-900" data-testid="bulk-target">
        {label}
      </span>
      {ACTIONS.map((a) => (
        <button
          key={a}
          type="button"
          data-testid={`bulk-action-${a}`}
          className={a === 'delete' || a === 'forceOff' ? btn.danger : btn.secondary}
          onClick={() => setAction(a)}
        >
          {`${ACTION_LABEL[a]}…`}
        </button>
      ))}
      {onClear && (
        <button type="button" className={`${btn.ghost} ml-auto`} onClick={onClear} data-testid="bulk-clear">
          Clear selection
        </button>
      )}
      {action && <BulkDialog action={action} target={target} targetLabel={label} onClose={() => setAction(null)} />}
    </div>
  );
}
