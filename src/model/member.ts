// A member's settable fields, their defaults and Octavia's null semantics (docs/octavia-compatibility.md §5.5).
// Pure: the API resolves request bodies through these before it touches the database.
import { InvalidInput, InvalidOption } from '../errors.ts';
import { RESERVED_MEMBER_IPS } from './enums.ts';

export interface MemberSettings {
  name: string;
  admin_state_up: boolean;
  weight: number;
  backup: boolean;
  subnet_id: string | null;
  monitor_address: string | null;
  monitor_port: number | null;
  tags: string[];
}

/** A request's view of the settings: absent keys are untouched, null resets. */
export type MemberInput = { [K in keyof MemberSettings]?: MemberSettings[K] | null };

const MEMBER_FIELDS = ['name', 'admin_state_up', 'weight', 'backup', 'subnet_id', 'monitor_address', 'monitor_port', 'tags'] as const;

export const MEMBER_DEFAULTS: Readonly<MemberSettings> = {
  name: '',
  admin_state_up: true,
  weight: 1,
  backup: false,
  subnet_id: null,
  monitor_address: null,
  monitor_port: null,
  tags: [],
};

// Octavia coerces admin_state_up null to false rather than to its default.
const NULL_MEANS: Readonly<MemberSettings> = { ...MEMBER_DEFAULTS, admin_state_up: false };

/** The fields a request sets, with null replaced by what it stands for. */
export function memberChanges(input: MemberInput): Partial<MemberSettings> {
  const changes: Record<string, unknown> = {};
  for (const field of MEMBER_FIELDS) {
    const value = input[field];
    if (value !== undefined) changes[field] = value ?? NULL_MEANS[field];
  }
  return changes as Partial<MemberSettings>;
}

export function newMemberSettings(input: MemberInput): MemberSettings {
  return { ...MEMBER_DEFAULTS, ...memberChanges(input) };
}

/** What only a new member is checked for: the operator's reserved addresses and SR-IOV. */
export function checkNewMember(member: { address: string; request_sriov?: boolean | null }): void {
  if ((RESERVED_MEMBER_IPS as readonly string[]).includes(member.address)) {
    throw new InvalidOption(member.address, 'member address');
  }
  // No flavor allows SR-IOV member ports yet (there are no flavors), so only false passes.
  if (member.request_sriov === true) throw new InvalidInput('The load balancer flavor does not allow SR-IOV member ports.');
}
