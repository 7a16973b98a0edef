import type { Metadata } from 'next';
import { AdminOnly } from '@/modules/auth/admin-only';
import { ProjectDetailView } from '@/modules/projects/project-detail-view';

export const metadata: Metadata = { title: 'Project' };

export default async function ProjectPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <AdminOnly title="Project">
      <ProjectDetailView projectId={id} />
    </AdminOnly>
  );
}
