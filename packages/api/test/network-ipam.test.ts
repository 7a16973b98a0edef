import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import {
  checkNetworkRange,
  checkStaticAddress,
  gateway,
  ipToNumber,
  numberToIp,
  overlaps,
  parseCidr,
} from '../src/services/network-ipam.ts';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return VireoError.is(err) ? `${err.code}: ${err.message}` : String(err);
  }
  return 'ok';
};

test('CIDRs parse, and a host address is refused with the network address suggested', () => {
  assert.deepEqual(parseCidr('192.168.124.0/24'), { base: ipToNumber('192.168.124.0'), prefix: 24 });
  assert.equal(gateway(parseCidr('10.20.0.0/16')), '10.20.0.1');
  assert.match(
    code(() => parseCidr('192.168.124.5/24')),
    /BAD_INPUT: .*did you mean 192\.168\.124\.0\/24/,
  );
  assert.match(
    code(() => parseCidr('192.168.1.0/31')),
    /BAD_INPUT/,
  );
  assert.match(
    code(() => parseCidr('300.1.1.0/24')),
    /BAD_INPUT/,
  );
  assert.equal(numberToIp(ipToNumber('255.254.3.1')), '255.254.3.1');
});

test('overlap', () => {
  assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.20.0.0/16')));
  assert.ok(overlaps(parseCidr('10.20.0.0/16'), parseCidr('10.0.0.0/8')));
  assert.ok(!overlaps(parseCidr('192.168.1.0/24'), parseCidr('192.168.2.0/24')));
});

test('DHCP range inside the CIDR, not the gateway, ordered; no overlap in the cluster', () => {
  const range = { start: '192.168.124.100', end: '192.168.124.200' };
  assert.equal(
    code(() => checkNetworkRange('192.168.124.0/24', range, [{ name: 'b', cidr: '192.168.125.0/24' }])),
    'ok',
  );
  assert.match(
    code(() => checkNetworkRange('192.168.124.0/24', { ...range, end: '192.168.125.10' }, [])),
    /BAD_INPUT: The DHCP range end/,
  );
  assert.match(
    code(() => checkNetworkRange('192.168.124.0/24', { ...range, start: '192.168.124.1' }, [])),
    /host's/,
  );
  assert.match(
    code(() => checkNetworkRange('192.168.124.0/24', { ...range, end: '192.168.124.255' }, [])),
    /broadcast/,
  );
  assert.match(
    code(() => checkNetworkRange('192.168.124.0/24', { start: range.end, end: range.start }, [])),
    /after it ends/,
  );
  assert.match(
    code(() =>
      checkNetworkRange('192.168.124.0/24', range, [
        { name: 'big', cidr: '192.168.0.0/16' },
        { name: 'br', cidr: null },
      ]),
    ),
    /CONFLICT: .*overlaps network big/,
  );
});

test('static lease addresses: inside the CIDR, outside the DHCP range', () => {
  const range = { start: '192.168.124.100', end: '192.168.124.200' };
  assert.equal(
    code(() => checkStaticAddress('192.168.124.0/24', range, '192.168.124.10')),
    'ok',
  );
  assert.equal(
    code(() => checkStaticAddress('192.168.124.0/24', range, '192.168.124.201')),
    'ok',
  );
  assert.match(
    code(() => checkStaticAddress('192.168.124.0/24', range, '192.168.124.150')),
    /inside the DHCP range/,
  );
  assert.match(
    code(() => checkStaticAddress('192.168.124.0/24', range, '192.168.125.10')),
    /not a guest address/,
  );
  assert.match(
    code(() => checkStaticAddress('192.168.124.0/24', range, '192.168.124.1')),
    /not a guest address/,
  );
});
