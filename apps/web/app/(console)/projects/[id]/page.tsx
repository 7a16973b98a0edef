import type { Metadata } from 'next';
import { ProjectDetailView } from '@/modules/projects/project-detail-view';

export const metadata: Metadata = { title: 'Project' };

/** For administrators and the project's own people (its owner manages members here). */
export default async function ProjectPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ProjectDetailView projectId={id} />;
}
