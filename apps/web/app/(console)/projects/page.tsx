import type { Metadata } from 'next';
import { AdminOnly } from '@/modules/auth/admin-only';
import { ProjectListView } from '@/modules/projects/project-list-view';

export const metadata: Metadata = { title: 'Projects' };

export default function ProjectsPage() {
  return (
    <AdminOnly title="Projects">
      <ProjectListView />
    </AdminOnly>
  );
}
