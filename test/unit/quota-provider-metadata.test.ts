// Flavor / availability-zone metadata as providers check it: the amphora provider's keys and
// values, ACTIVE_STANDBY refused on the process compute driver, the noop provider
// accepting any object, and the 501 of a driver without flavor support.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AmphoraProviderDriver } from '../../src/providers/amphora/amphora-driver.ts';
import { NoopDriver } from '../../src/providers/noop/noop-driver.ts';
import { flavorCapabilities, parseMetadata, validateAvailabilityZone, validateFlavor } from '../../src/providers/metadata.ts';
import type { ProviderDriver } from '../../src/providers/driver.ts';
import { FulcrumError } from '../../src/errors.ts';

const amphora = new AmphoraProviderDriver({ unsupported: () => null, computeDriver: 'process' } as never);
const amphoraNetns = new AmphoraProviderDriver({ unsupported: () => null, computeDriver: 'netns' } as never);
const noop = new NoopDriver(null as never, null as never);
const bare: ProviderDriver = { name: 'bare', description: 'no flavors', checkSupport() {}, plan: () => [] };

function status(fn: () => void): { status: number; message: string } | null {
  try {
    fn();
    return null;
  } catch (err) {
    assert.ok(err instanceof FulcrumError);
    return { status: err.status, message: err.message };
  }
}

describe('amphora flavor metadata', () => {
  test('lists the §5.10 capabilities', () => {
    assert.deepEqual(
      flavorCapabilities(amphora).map((c) => c.name),
      ['loadbalancer_topology', 'compute_flavor', 'amp_image_tag', 'sriov_vip', 'allow_member_sriov', 'protection'],
    );
    assert.ok(amphora.availabilityZoneCapabilities.every((c) => c.description.length > 0));
  });

  test('accepts known keys with good values', () => {
    assert.equal(status(() => validateFlavor(amphora, { loadbalancer_topology: 'SINGLE', compute_flavor: 'm1', sriov_vip: false })), null);
  });

  test('an unknown key or a bad value is a 400 naming it', () => {
    assert.deepEqual(status(() => validateFlavor(amphora, { colour: 'red' }))?.status, 400);
    assert.match(status(() => validateFlavor(amphora, { colour: 'red' }))!.message, /'colour' is not a supported key/);
    assert.match(status(() => validateFlavor(amphora, { loadbalancer_topology: 'ACTIVE_ACTIVE' }))!.message, /loadbalancer_topology must be one of SINGLE, ACTIVE_STANDBY/);
    assert.match(status(() => validateFlavor(amphora, { sriov_vip: 'yes' }))!.message, /sriov_vip must be true or false/);
    assert.match(status(() => validateFlavor(amphora, { protection: { requests_per_second_per_source: 0 } }))!.message, /protection requests_per_second_per_source must be an integer from 1/);
    assert.match(status(() => validateFlavor(amphora, { protection: { rate: 5 } }))!.message, /protection 'rate' is not a protection setting/);
    assert.equal(status(() => validateFlavor(amphora, { protection: { requests_per_second_per_source: 100, action: 'tarpit' } })), null);
  });

  test('ACTIVE_STANDBY is refused with 501 on the process compute driver, naming the one that places pairs', () => {
    const result = status(() => validateFlavor(amphora, { loadbalancer_topology: 'ACTIVE_STANDBY' }));
    assert.equal(result?.status, 501);
    assert.match(result!.message, /ACTIVE_STANDBY is not available with the process compute driver.*netns compute driver/);
    assert.equal(status(() => validateFlavor(amphoraNetns, { loadbalancer_topology: 'ACTIVE_STANDBY' })), null, 'the netns driver places pairs');
  });

  test('SR-IOV VIPs and members are refused with 501: there are no SR-IOV ports', () => {
    for (const key of ['sriov_vip', 'allow_member_sriov']) {
      const result = status(() => validateFlavor(amphora, { [key]: true }));
      assert.equal(result?.status, 501, key);
      assert.match(result!.message, new RegExp(`${key} is not available`));
    }
  });
});

describe('amphora availability-zone metadata', () => {
  test('valid_vip_networks must be a list of UUIDs, management_network a UUID', () => {
    const net = '8b6c4c0e-1d2e-4f1a-9f0a-1b2c3d4e5f60';
    assert.equal(status(() => validateAvailabilityZone(amphora, { compute_zone: 'az1', valid_vip_networks: [net], management_network: net })), null);
    assert.match(status(() => validateAvailabilityZone(amphora, { valid_vip_networks: net }))!.message, /must be a list of UUIDs/);
    assert.match(status(() => validateAvailabilityZone(amphora, { management_network: 'x' }))!.message, /must be a UUID/);
    assert.equal(status(() => validateAvailabilityZone(amphora, { zone: 'x' }))?.status, 400);
  });
});

describe('other drivers', () => {
  test('noop accepts any metadata object', () => {
    assert.equal(status(() => validateFlavor(noop, { anything: [1, 2], loadbalancer_topology: 'ACTIVE_STANDBY' })), null);
    assert.equal(status(() => validateAvailabilityZone(noop, { whatever: true })), null);
  });

  test('a driver without flavor support answers 501', () => {
    assert.equal(status(() => flavorCapabilities(bare))?.status, 501);
    assert.match(status(() => validateFlavor(bare, {}))!.message, /Provider 'bare' does not support a requested action/);
    assert.equal(status(() => validateAvailabilityZone(bare, {}))?.status, 501);
  });
});

describe('parseMetadata', () => {
  test('only a JSON object is metadata', () => {
    assert.deepEqual(parseMetadata('flavor_data', '{"a": 1}'), { a: 1 });
    for (const bad of ['{', '[]', '"x"', 'null', '3']) {
      assert.equal(status(() => parseMetadata('flavor_data', bad))?.message, `${bad} is not a valid option for flavor_data`);
    }
  });
});
