import type { Metadata } from 'next';
import { FlavorsView } from '@/modules/portal/flavors-view';

export const metadata: Metadata = { title: 'Portal flavors' };

export default function FlavorsPage() {
  return <FlavorsView />;
}
