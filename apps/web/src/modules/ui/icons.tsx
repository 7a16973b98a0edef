import type { ReactNode } from 'react';

/** A few 16 px line icons (inline SVG: no icon font, no network). */
const common = {
  width: 16,
  height: 16,
  viewBox: '0 0 16 16',
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 1.4,
  strokeLinecap: 'round',
  strokeLinejoin: 'round',
} as const;

function Icon({ children }: { children: ReactNode }) {
  return (
    <svg {...common} aria-hidden="true">
      {children}
    </svg>
  );
}

export function HostIcon() {
  return (
    <Icon>
      <rect x="2" y="2.5" width="12" height="4.5" rx="1" />
      <rect x="2" y="9" width="12" height="4.5" rx="1" />
      <path d="M4.5 4.75h.01M4.5 11.25h.01" strokeWidth="2" />
    </Icon>
  );
}

/** A tree: datacenters → clusters → hosts. */
export function InventoryIcon() {
  return (
    <Icon>
      <rect x="2" y="2" width="5" height="3.5" rx="0.75" />
      <rect x="9" y="6.25" width="5" height="3.5" rx="0.75" />
      <rect x="9" y="10.5" width="5" height="3.5" rx="0.75" />
      <path d="M4.5 5.5v6.75H9M4.5 8h4.5" />
    </Icon>
  );
}

export function StorageIcon() {
  return (
    <Icon>
      <ellipse cx="8" cy="3.75" rx="5.5" ry="1.75" />
      <path d="M2.5 3.75v8.5c0 .97 2.46 1.75 5.5 1.75s5.5-.78 5.5-1.75v-8.5" />
      <path d="M2.5 8c0 .97 2.46 1.75 5.5 1.75S13.5 8.97 13.5 8" />
    </Icon>
  );
}

/** A disc: images (qcow2, raw, ISO). */
export function ImageIcon() {
  return (
    <Icon>
      <circle cx="8" cy="8" r="5.75" />
      <circle cx="8" cy="8" r="1.5" />
    </Icon>
  );
}

export function VmIcon() {
  return (
    <Icon>
      <rect x="1.5" y="2.5" width="13" height="9" rx="1" />
      <path d="M5.5 14h5M8 11.5V14" />
    </Icon>
  );
}

/** Stacked sheets: a template and its versions. */
export function TemplateIcon() {
  return (
    <Icon>
      <rect x="3.5" y="4.5" width="10" height="9" rx="1" />
      <path d="M2.5 11.5v-8a1 1 0 0 1 1-1h8" />
    </Icon>
  );
}

export function TaskIcon() {
  return (
    <Icon>
      <path d="M6 4h8M6 8h8M6 12h8" />
      <path d="M2 4l.8.8L4 3.4M2 8l.8.8L4 7.4M2 12l.8.8L4 11.4" />
    </Icon>
  );
}

export function UserIcon() {
  return (
    <Icon>
      <circle cx="8" cy="5.5" r="2.75" />
      <path d="M2.75 14c.5-2.6 2.6-4.25 5.25-4.25S12.75 11.4 13.25 14" />
    </Icon>
  );
}

/** A key: API tokens. */
export function KeyIcon() {
  return (
    <Icon>
      <circle cx="5" cy="11" r="2.75" />
      <path d="M7 9l6-6M11 5l1.5 1.5M9.5 6.5 11 8" />
    </Icon>
  );
}

/** A padlock: sign-in security (two-factor authentication). */
export function LockIcon() {
  return (
    <Icon>
      <rect x="3.5" y="7" width="9" height="6.5" rx="1.2" />
      <path d="M5.5 7V5a2.5 2.5 0 0 1 5 0v2" />
    </Icon>
  );
}

/** A ledger: the audit log. */
export function AuditIcon() {
  return (
    <Icon>
      <rect x="3" y="2" width="10" height="12" rx="1" />
      <path d="M5.5 5h5M5.5 8h5M5.5 11h3" />
    </Icon>
  );
}

export function BellIcon() {
  return (
    <Icon>
      <path d="M4 11.5V7a4 4 0 0 1 8 0v4.5l1 1H3z" />
      <path d="M6.75 14a1.35 1.35 0 0 0 2.5 0" />
    </Icon>
  );
}

export function NetworkIcon() {
  return (
    <Icon>
      <rect x="6" y="1.5" width="4" height="3.5" rx="0.75" />
      <rect x="1.5" y="11" width="4" height="3.5" rx="0.75" />
      <rect x="10.5" y="11" width="4" height="3.5" rx="0.75" />
      <path d="M8 5v3M3.5 11V8h9v3" />
    </Icon>
  );
}

export function PlusIcon() {
  return (
    <Icon>
      <path d="M8 3v10M3 8h10" />
    </Icon>
  );
}

export function SearchIcon() {
  return (
    <Icon>
      <circle cx="7" cy="7" r="4.5" />
      <path d="M10.5 10.5L14 14" />
    </Icon>
  );
}

export function ExternalIcon() {
  return (
    <Icon>
      <path d="M9 2.5h4.5V7M13.5 2.5L7.5 8.5M11.5 9.5v3.5a.5.5 0 01-.5.5H3a.5.5 0 01-.5-.5V5a.5.5 0 01.5-.5h3.5" />
    </Icon>
  );
}

export function MenuIcon() {
  return (
    <Icon>
      <path d="M2.5 4h11M2.5 8h11M2.5 12h11" />
    </Icon>
  );
}

export function CloseIcon() {
  return (
    <Icon>
      <path d="M4 4l8 8M12 4l-8 8" />
    </Icon>
  );
}

/** A small spinner for pending actions ("Starting…"); motion stops for reduced-motion users. */
export function Spinner() {
  return (
    <svg
      width={12}
      height={12}
      viewBox="0 0 16 16"
      aria-hidden="true"
      className="animate-spin motion-reduce:animate-none"
    >
      <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" strokeOpacity="0.25" strokeWidth="2" />
      <path d="M14 8a6 6 0 0 0-6-6" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
    </svg>
  );
}

/** Bars over time: showback. */
export function ChartIcon() {
  return (
    <Icon>
      <path d="M2.5 13.5h11" />
      <path d="M4.5 11V8M7.5 11V4.5M10.5 11V6.5" strokeWidth="2" />
    </Icon>
  );
}
