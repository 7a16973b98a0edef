'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';
import { HostIcon, TaskIcon, VmIcon } from '../ui/icons';

interface NavItem {
  href: string;
  label: string;
  icon: ReactNode;
  testId: string;
  matches: (path: string) => boolean;
}

const ITEMS: NavItem[] = [
  {
    href: '/vms',
    label: 'Virtual machines',
    icon: <VmIcon />,
    testId: 'nav-vms',
    matches: (p) => p === '/' || p.startsWith('/vms'),
  },
  { href: '/hosts', label: 'Hosts', icon: <HostIcon />, testId: 'nav-hosts', matches: (p) => p.startsWith('/hosts') },
  {
    href: '/tasks',
    label: 'Tasks & events',
    icon: <TaskIcon />,
    testId: 'nav-tasks',
    matches: (p) => p.startsWith('/tasks'),
  },
];

export function Nav() {
  const pathname = usePathname() ?? '/';
  return (
    <nav aria-label="Main" className="flex w-48 shrink-0 flex-col gap-0.5 border-r border-zinc-200 bg-zinc-50 p-2">
      <div className="px-2 pt-1 pb-1.5 text-[11px] font-semibold tracking-wider text-zinc-400 uppercase">Inventory</div>
      {ITEMS.map((item) => {
        const active = item.matches(pathname);
        return (
          <Link
            key={item.href}
            href={item.href}
            data-testid={item.testId}
            aria-current={active ? 'page' : undefined}
            className={`flex h-7 items-center gap-2 rounded-md px-2 text-sm ${
              active
                ? 'bg-white font-medium text-zinc-900 shadow-xs ring-1 ring-zinc-200'
                : 'text-zinc-600 hover:bg-zinc-200/60 hover:text-zinc-900'
            }`}
          >
            <span className={active ? 'text-teal-700' : 'text-zinc-400'}>{item.icon}</span>
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
