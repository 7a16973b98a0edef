import type { Metadata } from 'next';
import { ShowbackView } from '@/modules/showback/showback-view';

export const metadata: Metadata = { title: 'Showback' };

/** Admins see every project; project owners theirs (the API filters). */
export default function ShowbackPage() {
  return <ShowbackView />;
}
