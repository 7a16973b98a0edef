import type { Metadata } from 'next';
import { AdminOnly } from '@/modules/auth/admin-only';
import { InventoryView } from '@/modules/inventory/inventory-view';

export const metadata: Metadata = { title: 'Inventory' };

export default function InventoryPage() {
  return (
    <AdminOnly orInfraRole title="Inventory">
      <InventoryView />
    </AdminOnly>
  );
}
