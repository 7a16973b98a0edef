/** Tags on one VM (the VM page), tags in use (the list's filter) and a user's saved searches. */
import { savedSearches, vmTags } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { type VmFilterInput, vmFilterInput } from '../schemas/bulk.ts';
import type { UserView, VmView } from '../views.ts';
import type { VmRecord } from './vm-access.ts';
import { publishVm } from './views.ts';
import { vmView } from './vm-service.ts';
import { seesOnlyOwn, vmVisibility } from './permissions/visibility.ts';

/** A VM has at most this many tags: tags label, they do not store data. */
export const MAX_TAGS_PER_VM = 32;

export async function addTag(vm: VmRecord, tag: string, user: Pick<UserView, 'id' | 'role'>): Promise<VmView> {
  if (!vm.tags.includes(tag) && vm.tags.length >= MAX_TAGS_PER_VM) {
    throw new VireoError('BAD_INPUT', `A VM has at most ${MAX_TAGS_PER_VM} tags.`, { object: 'vm' });
  }
  await vmTags.add([vm.id], tag);
  await publishVm(vm.id);
  return vmView(vm.id, user);
}

export async function removeTag(vm: VmRecord, tag: string, user: Pick<UserView, 'id' | 'role'>): Promise<VmView> {
  await vmTags.remove([vm.id], tag);
  await publishVm(vm.id);
  return vmView(vm.id, user);
}

/** Tags on the VMs this user may see, with counts. */
export async function tagsInUse(user: UserView): Promise<{ tag: string; count: number }[]> {
  return vmTags.inUse(await vmVisibility(user));
}

export type SavedSearchView = { id: string; name: string; filter: VmFilterInput };

function toSavedView(row: { id: string; name: string; params: string }): SavedSearchView {
  // Stored by saveSearch after validation; a row that no longer parses (a filter field renamed)
  // comes back empty rather than breaking the list.
  const parsed = vmFilterInput.safeParse(JSON.parse(row.params));
  return { id: row.id, name: row.name, filter: parsed.success ? parsed.data : {} };
}

export async function listSearches(user: UserView): Promise<SavedSearchView[]> {
  return (await savedSearches.listFor(user.id)).map(toSavedView);
}

/** At most this many saved searches per user. */
export const MAX_SAVED_SEARCHES = 50;

export async function saveSearch(user: UserView, name: string, filter: VmFilterInput): Promise<SavedSearchView> {
  if (seesOnlyOwn(await vmVisibility(user)) && filter.ownerId !== undefined && filter.ownerId !== user.id) {
    throw new VireoError('FORBIDDEN', 'Only administrators can filter by another owner.', { object: 'vm' });
  }
  const mine = await savedSearches.listFor(user.id);
  if (!mine.some((s) => s.name === name) && mine.length >= MAX_SAVED_SEARCHES) {
    throw new VireoError('BAD_INPUT', `You have ${MAX_SAVED_SEARCHES} saved searches; delete one first.`, {
      object: 'vm',
    });
  }
  return toSavedView(await savedSearches.save(user.id, name, JSON.stringify(filter)));
}

export async function deleteSearch(user: UserView, id: string): Promise<void> {
  if (!(await savedSearches.remove(id, user.id))) {
    throw new VireoError('NOT_FOUND', 'No such saved search.', { object: 'vm' });
  }
}
