'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/client';
import { inputClass } from '../ui/buttons';

/** The create form's optional affinity group (admins: groups are theirs to manage). */
export function AffinityGroupSelect({ value, onChange }: { value: string; onChange: (groupId: string) => void }) {
  const trpc = useTRPC();
  const groups = useQuery(trpc.affinity.list.queryOptions());
  if (!groups.data || groups.data.length === 0) return null;
  return (
    <div className="space-y-1">
      <label htmlFor="vm-affinityGroup" className="block text-xs font-medium text-zinc-700">
        Affinity group (placement keeps its VMs together or apart)
      </label>
      <select
        id="vm-affinityGroup"
        data-testid="vm-affinity-group"
        className={inputClass}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      >
        <option value="">None</option>
        {groups.data.map((g) => (
          <option key={g.id} value={g.id}>
            {g.name} ({g.hard ? 'hard' : 'soft'} {g.kind})
          </option>
        ))}
      </select>
    </div>
  );
}
