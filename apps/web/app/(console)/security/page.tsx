import type { Metadata } from 'next';
import { SecurityView } from '@/modules/account/security-view';

export const metadata: Metadata = { title: 'Two-factor authentication' };

export default function SecurityPage() {
  return <SecurityView />;
}
