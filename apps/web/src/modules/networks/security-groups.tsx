'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterInputs, RouterOutputs } from '@/trpc/types';
import { Section } from '../alerts/alerts-view';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { EmptyRow, stacked, TableHead, td as tdBase } from '../ui/page-header';
import { Field, POLL_MS, useInvalidateNetworks } from './shared';

type Group = RouterOutputs['network']['securityGroups'][number];
type RuleInput = RouterInputs['network']['addRule']['rule'];
const td = `${tdBase} ${stacked.td}`;

const ports = (r: { portStart: number | null; portEnd: number | null }) =>
  r.portStart === null ? 'any' : r.portEnd ? `${r.portStart}–${r.portEnd}` : String(r.portStart);

/** Security groups: allow rules per group, applied live to every host's nwfilter on each change. */
export function SecurityGroups() {
  const trpc = useTRPC();
  const groups = useQuery({ ...trpc.network.securityGroups.queryOptions(), refetchInterval: POLL_MS });
  const invalidate = useInvalidateNetworks();
  const [name, setName] = useState('');
  const create = useMutation(
    trpc.network.createSecurityGroup.mutationOptions({
      onSuccess: () => {
        setName('');
        void invalidate();
      },
    }),
  );
  return (
    <Section title="Security groups" testId="security-groups">
      <form
        noValidate
        className="flex flex-wrap items-end gap-2 border-b border-zinc-100 px-3 py-2"
        onSubmit={(e) => {
          e.preventDefault();
          // A new group lets the guest reach out and nothing in; rules open what it serves.
          create.mutate({
            name,
            rules: [{ direction: 'out', protocol: 'all', portStart: null, portEnd: null, cidr: null }],
          });
        }}
      >
        <p className="flex-1 text-xs text-zinc-500">
          A group allows what its rules list and drops the rest (DHCP always passes; replies to allowed traffic too).
          Changes apply at once to running VMs' NICs that use the group.
        </p>
        <div className="w-48">
          <input
            data-testid="sg-name"
            className={inputClass}
            placeholder="New group name"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <button type="submit" className={btn.secondary} disabled={create.isPending} data-testid="sg-create">
          Create group
        </button>
      </form>
      <ErrorText error={groups.error ?? create.error} />
      {groups.data?.map((g) => (
        <GroupRules key={g.id} group={g} />
      ))}
      {groups.data?.length === 0 && (
        <p className="px-3 py-6 text-center text-sm text-zinc-500">No security groups yet.</p>
      )}
    </Section>
  );
}

const EMPTY_RULE = { direction: 'in', protocol: 'tcp', ports: '', cidr: '' };

function GroupRules({ group: g }: { group: Group }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateNetworks();
  const add = useMutation(
    trpc.network.addRule.mutationOptions({
      onSuccess: () => {
        setRule(EMPTY_RULE);
        void invalidate();
      },
    }),
  );
  const remove = useMutation(trpc.network.removeRule.mutationOptions({ onSuccess: invalidate }));
  const del = useMutation(trpc.network.deleteSecurityGroup.mutationOptions({ onSuccess: invalidate }));
  const [rule, setRule] = useState(EMPTY_RULE);
  const submit = () => {
    const [start, end] = rule.ports.split(/[-–:]/).map((p) => p.trim());
    const input: RuleInput = {
      direction: rule.direction as RuleInput['direction'],
      protocol: rule.protocol as RuleInput['protocol'],
      portStart: start ? Number(start) : null,
      portEnd: end ? Number(end) : null,
      cidr: rule.cidr.trim() || null,
    };
    add.mutate({ groupId: g.id, rule: input });
  };
  return (
    <div data-testid="sg" data-group={g.name} className="border-b border-zinc-200 last:border-b-0">
      <div className="flex items-center gap-3 bg-zinc-50/70 px-3 py-1.5">
        <span className="font-medium text-zinc-900">{g.name}</span>
        <span className="font-mono text-xs text-zinc-400">{g.filterName}</span>
        <button
          type="button"
          className={`${btn.danger} ml-auto`}
          data-testid="sg-delete"
          onClick={() => del.mutate({ groupId: g.id })}
        >
          Delete group
        </button>
      </div>
      <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
        <TableHead columns={['Direction', 'Protocol', 'Ports', 'Remote', '']} className={stacked.thead} />
        <tbody className={stacked.tbody}>
          {g.rules.map((r) => (
            <tr key={r.id} data-testid="sg-rule" className={stacked.tr}>
              <td className={td} data-label="Direction">
                {r.direction === 'in' ? 'in (to the VM)' : 'out (from the VM)'}
              </td>
              <td className={td} data-label="Protocol">
                {r.protocol}
              </td>
              <td className={`${td} font-mono text-xs`} data-label="Ports">
                {ports(r)}
              </td>
              <td className={`${td} font-mono text-xs`} data-label="Remote">
                {r.cidr ?? 'anywhere'}
              </td>
              <td className={`${td} text-right`}>
                <button
                  type="button"
                  className={btn.ghost}
                  data-testid="sg-rule-remove"
                  disabled={remove.isPending}
                  onClick={() => remove.mutate({ groupId: g.id, ruleId: r.id })}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
          {g.rules.length === 0 && <EmptyRow colSpan={5}>No rules: all traffic but DHCP is dropped.</EmptyRow>}
        </tbody>
      </table>
      <form
        noValidate
        className="flex flex-wrap items-end gap-2 px-3 py-2"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <div className="w-36">
          <Field label="Direction">
            <select
              data-testid="sg-rule-direction"
              className={inputClass}
              value={rule.direction}
              onChange={(e) => setRule({ ...rule, direction: e.target.value })}
            >
              <option value="in">in (to the VM)</option>
              <option value="out">out (from the VM)</option>
            </select>
          </Field>
        </div>
        <div className="w-24">
          <Field label="Protocol">
            <select
              data-testid="sg-rule-protocol"
              className={inputClass}
              value={rule.protocol}
              onChange={(e) => setRule({ ...rule, protocol: e.target.value })}
            >
              {['tcp', 'udp', 'icmp', 'all'].map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <div className="w-28">
          <Field label="Port(s)">
            <input
              data-testid="sg-rule-ports"
              className={inputClass}
              placeholder="22 or 8000-8080"
              value={rule.ports}
              onChange={(e) => setRule({ ...rule, ports: e.target.value })}
            />
          </Field>
        </div>
        <div className="w-36">
          <Field label="Remote CIDR">
            <input
              data-testid="sg-rule-cidr"
              className={inputClass}
              placeholder="anywhere"
              value={rule.cidr}
              onChange={(e) => setRule({ ...rule, cidr: e.target.value })}
            />
          </Field>
        </div>
        <button type="submit" className={btn.secondary} disabled={add.isPending} data-testid="sg-rule-add">
          Add rule
        </button>
        <div className="w-full">
          <ErrorText error={add.error ?? remove.error ?? del.error} testId="sg-error" />
        </div>
      </form>
    </div>
  );
}
