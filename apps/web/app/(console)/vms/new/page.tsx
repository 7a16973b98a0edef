import type { Metadata } from 'next';
import { VmCreateView } from '@/modules/vms/vm-create-view';

export const metadata: Metadata = { title: 'New virtual machine' };

export default function NewVmPage() {
  return <VmCreateView />;
}
