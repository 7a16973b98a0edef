'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { type ReactNode, useEffect } from 'react';
import { useFiringAlertCount } from '../alerts/alerts-view';
import { useSession } from '../auth/use-session';
import { useSeesInfra } from '../permissions/use-infra-role';
import {
  AuditIcon,
  BellIcon,
  ChartIcon,
  HostIcon,
  ImageIcon,
  InventoryIcon,
  KeyIcon,
  LockIcon,
  NetworkIcon,
  StorageIcon,
  TaskIcon,
  TemplateIcon,
  UserIcon,
  VmIcon,
} from '../ui/icons';
import { NAV_ID } from './top-bar';

interface NavItem {
  href: string;
  label: string;
  icon: ReactNode;
  testId: string;
  matches: (path: string) => boolean;
  /** A count shown beside the label (firing alerts); hidden at 0. */
  badge?: number;
}

function inventoryItems(isAdmin: boolean, seesInfra: boolean): NavItem[] {
  return [
    {
      href: '/vms',
      label: 'Virtual machines',
      icon: <VmIcon />,
      testId: 'nav-vms',
      matches: (p) => p === '/' || p.startsWith('/vms'),
    },
    {
      href: '/templates',
      label: 'Templates',
      icon: <TemplateIcon />,
      testId: 'nav-templates',
      matches: (p) => p.startsWith('/templates'),
    },
    // Hosts are infrastructure: self-service users see their VMs, not where they run. A role on
    // a datacenter, cluster or host (a delegated admin) brings Inventory and Hosts, for its scope.
    ...(seesInfra
      ? [
          {
            href: '/inventory',
            label: 'Inventory',
            icon: <InventoryIcon />,
            testId: 'nav-inventory',
            matches: (p: string) => p.startsWith('/inventory'),
          },
          {
            href: '/hosts',
            label: 'Hosts',
            icon: <HostIcon />,
            testId: 'nav-hosts',
            matches: (p: string) => p.startsWith('/hosts'),
          },
        ]
      : []),
    ...(isAdmin
      ? [
          {
            href: '/storage',
            label: 'Storage',
            icon: <StorageIcon />,
            testId: 'nav-storage',
            matches: (p: string) => p.startsWith('/storage'),
          },
          {
            href: '/images',
            label: 'Images',
            icon: <ImageIcon />,
            testId: 'nav-images',
            matches: (p: string) => p.startsWith('/images'),
          },
          {
            href: '/networks',
            label: 'Networks',
            icon: <NetworkIcon />,
            testId: 'nav-networks',
            matches: (p: string) => p.startsWith('/networks'),
          },
        ]
      : []),
    {
      href: '/requests',
      label: 'VM requests',
      icon: <TaskIcon />,
      testId: 'nav-requests',
      matches: (p) => p.startsWith('/requests'),
    },
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

function adminItems(firingAlerts: number): NavItem[] {
  return [
    {
      href: '/alerts',
      label: 'Alerts',
      icon: <BellIcon />,
      testId: 'nav-alerts',
      matches: (p) => p.startsWith('/alerts'),
      badge: firingAlerts,
    },
    { href: '/users', label: 'Users', icon: <UserIcon />, testId: 'nav-users', matches: (p) => p.startsWith('/users') },
    {
      href: '/projects',
      label: 'Projects',
      icon: <InventoryIcon />,
      testId: 'nav-projects',
      matches: (p) => p.startsWith('/projects'),
    },
    {
      href: '/audit',
      label: 'Audit log',
      icon: <AuditIcon />,
      testId: 'nav-audit',
      matches: (p) => p.startsWith('/audit'),
    },
    SHOWBACK_ITEM,
    {
      href: '/flavors',
      label: 'Portal flavors',
      icon: <VmIcon />,
      testId: 'nav-flavors',
      matches: (p) => p.startsWith('/flavors'),
    },
    {
      href: '/affinity',
      label: 'Affinity',
      icon: <HostIcon />,
      testId: 'nav-affinity',
      matches: (p) => p.startsWith('/affinity'),
    },
  ];
}

/** Usage per project, priced (issue 10): admins under Administration, project owners under Account. */
const SHOWBACK_ITEM: NavItem = {
  href: '/showback',
  label: 'Showback',
  icon: <ChartIcon />,
  testId: 'nav-showback',
  matches: (p) => p.startsWith('/showback'),
};

/** Everyone's own settings: for now their API tokens. */
const ACCOUNT_ITEM: NavItem = {
  href: '/account',
  label: 'API tokens',
  icon: <KeyIcon />,
  testId: 'nav-account',
  matches: (p) => p.startsWith('/account'),
};

/** The simplified self-service view of one's VMs and projects (issue 10). */
const PORTAL_ITEM: NavItem = {
  href: '/portal',
  label: 'Self-service portal',
  icon: <VmIcon />,
  testId: 'nav-portal',
  matches: (p) => p.startsWith('/portal'),
};

/** The signed-in user's second factor (issue 10). */
const SECURITY_ITEM: NavItem = {
  href: '/security',
  label: 'Two-factor',
  icon: <LockIcon />,
  testId: 'nav-security',
  matches: (p) => p.startsWith('/security'),
};

/**
 * The left navigation. From the `md` breakpoint up it is a fixed column; below it (phones) it is a
 * drawer over the page, opened by the top bar's menu button, closed by Escape, the backdrop or a
 * navigation.
 */
export function Nav({ open, onClose }: { open: boolean; onClose: () => void }) {
  const pathname = usePathname() ?? '/';
  const { user } = useSession();
  const isAdmin = user?.role === 'admin';
  const firingAlerts = useFiringAlertCount(isAdmin);
  const seesInfra = useSeesInfra();

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, onClose]);

  return (
    <>
      {open && (
        <button
          type="button"
          aria-label="Close menu"
          tabIndex={-1}
          onClick={onClose}
          className="absolute inset-0 z-30 bg-zinc-950/30 md:hidden"
        />
      )}
      <nav
        id={NAV_ID}
        aria-label="Main"
        data-testid="nav"
        className={`${open ? 'flex' : 'hidden'} absolute inset-y-0 left-0 z-40 w-64 shrink-0 flex-col gap-0.5 border-r border-zinc-200 bg-zinc-50 p-2 shadow-xl md:static md:flex md:w-48 md:shadow-none`}
      >
        <NavHeading>Inventory</NavHeading>
        {inventoryItems(isAdmin, seesInfra === true).map((item) => (
          <NavLink key={item.href} item={item} active={item.matches(pathname)} />
        ))}
        {isAdmin && (
          <>
            <NavHeading>Administration</NavHeading>
            {adminItems(firingAlerts).map((item) => (
              <NavLink key={item.href} item={item} active={item.matches(pathname)} />
            ))}
          </>
        )}
        <NavHeading>Account</NavHeading>
        {!isAdmin && <NavLink item={SHOWBACK_ITEM} active={SHOWBACK_ITEM.matches(pathname)} />}
        <NavLink item={ACCOUNT_ITEM} active={ACCOUNT_ITEM.matches(pathname)} />
        <NavLink item={SECURITY_ITEM} active={SECURITY_ITEM.matches(pathname)} />
        <NavLink item={PORTAL_ITEM} active={PORTAL_ITEM.matches(pathname)} />
      </nav>
    </>
  );
}

function NavHeading({ children }: { children: string }) {
  return (
    // zinc-600 on zinc-50 is about 7:1; WCAG AA asks 4.5:1 for text this small (zinc-400 was 2.6:1).
    <h2 className="px-2 pt-1 pb-1.5 text-[11px] font-semibold tracking-wider text-zinc-600 uppercase not-first:pt-4">
      {children}
    </h2>
  );
}

function NavLink({ item, active }: { item: NavItem; active: boolean }) {
  return (
    <Link
      href={item.href}
      data-testid={item.testId}
      aria-current={active ? 'page' : undefined}
      className={`flex h-9 items-center gap-2 rounded-md px-2 text-sm md:h-7 ${
        active
          ? 'bg-white font-medium text-zinc-900 shadow-xs ring-1 ring-zinc-200'
          : 'text-zinc-600 hover:bg-zinc-200/60 hover:text-zinc-900'
      }`}
    >
      <span className={active ? 'text-teal-700' : 'text-zinc-500'}>{item.icon}</span>
      {item.label}
      {item.badge ? (
        <span
          data-testid={`${item.testId}-badge`}
          className="ml-auto min-w-5 rounded-full bg-red-600 px-1.5 text-center text-[11px] leading-4 font-semibold text-white tabular-nums"
        >
          {item.badge}
          <span className="sr-only"> firing</span>
        </span>
      ) : null}
    </Link>
  );
}
