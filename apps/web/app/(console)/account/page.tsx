import type { Metadata } from 'next';
import { ApiTokensView } from '@/modules/account/api-tokens-view';

export const metadata: Metadata = { title: 'API tokens' };

export default function AccountPage() {
  return <ApiTokensView />;
}
