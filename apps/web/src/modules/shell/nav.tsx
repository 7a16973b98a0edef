'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';
import { useSession } from '../auth/use-session';
import { HostIcon, TaskIcon, UserIcon, VmIcon } from '../ui/icons';

interface NavItem {
  href: string;
  label: string;
  icon: ReactNode;
  testId: string;
  matches: (path: string) => boolean;
}

function inventoryItems(isAdmin: boolean): NavItem[] {
  return [
    {
      href: '/vms',
      label: 'Virtual machines',
      icon: <VmIcon />,
      testId: 'nav-vms',
      matches: (p) => p === '/' || p.startsWith('/vms'),
    },
    // Hosts are infrastructure: self-service users see their VMs, not where they run.
    ...(isAdmin
      ? [
          {
            href: '/hosts',
            label: 'Hosts',
            icon: <HostIcon />,
            testId: 'nav-hosts',
            matches: (p: string) => p.startsWith('/hosts'),
          },
        ]
      : []),
    {
      href: '/tasks',
      // Events are admin-only (the API refuses them to users), so users see just their tasks.
      label: isAdmin ? 'Tasks & events' : 'Tasks',
      icon: <TaskIcon />,
      testId: 'nav-tasks',
      matches: (p) => p.startsWith('/tasks'),
    },
  ];
}

const ADMIN_ITEMS: NavItem[] = [
  { href: '/users', label: 'Users', icon: <UserIcon />, testId: 'nav-users', matches: (p) => p.startsWith('/users') },
];

export function Nav() {
  const pathname = usePathname() ?? '/';
  const { user } = useSession();
  const isAdmin = user?.role === 'admin';
  return (
    <nav aria-label="Main" className="flex w-48 shrink-0 flex-col gap-0.5 border-r border-zinc-200 bg-zinc-50 p-2">
      <NavHeading>Inventory</NavHeading>
      {inventoryItems(isAdmin).map((item) => (
        <NavLink key={item.href} item={item} active={item.matches(pathname)} />
      ))}
      {isAdmin && (
        <>
          <NavHeading>Administration</NavHeading>
          {ADMIN_ITEMS.map((item) => (
            <NavLink key={item.href} item={item} active={item.matches(pathname)} />
          ))}
        </>
      )}
    </nav>
  );
}

function NavHeading({ children }: { children: string }) {
  return (
    <div className="px-2 pt-1 pb-1.5 text-[11px] font-semibold tracking-wider text-zinc-400 uppercase not-first:pt-4">
      {children}
    </div>
  );
}

function NavLink({ item, active }: { item: NavItem; active: boolean }) {
  return (
    <Link
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
}
