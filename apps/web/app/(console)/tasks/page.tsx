import type { Metadata } from 'next';
import { TasksView } from '@/modules/tasks/tasks-view';

export const metadata: Metadata = { title: 'Tasks & events' };

export default function TasksPage() {
  return <TasksView />;
}
