'use client';

import { useState } from 'react';
import { btn, inputClass } from '../ui/buttons';

export interface AuditFilterValues {
  username: string;
  actionPrefix: string;
  object: string;
  result: '' | 'ok' | 'failed';
  /** datetime-local values (the browser's time zone). */
  from: string;
  to: string;
}

export const NO_FILTER: AuditFilterValues = {
  username: '',
  actionPrefix: '',
  object: '',
  result: '',
  from: '',
  to: '',
};

/** The filter as the API and the CSV export take it: empty fields left out, times as ISO. */
export function filterParams(f: AuditFilterValues): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.username.trim()) out.username = f.username.trim();
  if (f.actionPrefix.trim()) out.actionPrefix = f.actionPrefix.trim();
  if (f.object.trim()) out.object = f.object.trim();
  if (f.result) out.result = f.result;
  for (const k of ['from', 'to'] as const) {
    const d = f[k] ? new Date(f[k]) : null;
    if (d && !Number.isNaN(d.getTime())) out[k] = d.toISOString();
  }
  return out;
}

const label = 'block space-y-1 text-xs font-medium text-zinc-700';

/** Filters, applied on Enter or Apply (not on every keystroke: 100k rows are searched). */
export function AuditFilters({
  value,
  onApply,
}: {
  value: AuditFilterValues;
  onApply: (f: AuditFilterValues) => void;
}) {
  const [draft, setDraft] = useState(value);
  const set = (k: keyof AuditFilterValues) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [k]: e.target.value });
  return (
    <form
      data-testid="audit-filters"
      className="grid grid-cols-2 items-end gap-2 rounded-lg border border-zinc-200 bg-white p-3 shadow-xs sm:grid-cols-3 lg:grid-cols-[repeat(6,minmax(0,1fr))_auto]"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <label className={label}>
        User
        <input
          data-testid="audit-filter-user"
          className={inputClass}
          value={draft.username}
          onChange={set('username')}
          placeholder="alice"
        />
      </label>
      <label className={label}>
        Action starts with
        <input
          data-testid="audit-filter-action"
          className={inputClass}
          value={draft.actionPrefix}
          onChange={set('actionPrefix')}
          placeholder="vm."
        />
      </label>
      <label className={label}>
        Object (id or name)
        <input data-testid="audit-filter-object" className={inputClass} value={draft.object} onChange={set('object')} />
      </label>
      <label className={label}>
        Result
        <select data-testid="audit-filter-result" className={inputClass} value={draft.result} onChange={set('result')}>
          <option value="">Any</option>
          <option value="ok">OK</option>
          <option value="failed">Failed</option>
        </select>
      </label>
      <label className={label}>
        From
        <input
          type="datetime-local"
          data-testid="audit-filter-from"
          className={inputClass}
          value={draft.from}
          onChange={set('from')}
        />
      </label>
      <label className={label}>
        To
        <input
          type="datetime-local"
          data-testid="audit-filter-to"
          className={inputClass}
          value={draft.to}
          onChange={set('to')}
        />
      </label>
      <div className="col-span-full flex gap-2 lg:col-span-1">
        <button type="submit" data-testid="audit-filter-apply" className={`${btn.primary} h-8`}>
          Apply
        </button>
        <button
          type="button"
          className={`${btn.ghost} h-8`}
          onClick={() => {
            setDraft(NO_FILTER);
            onApply(NO_FILTER);
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}
