// How an operation settles the statuses it locked (docs/octavia-compatibility.md §4.3). Pure: the flow engine
// applies the result on failure, drivers report it on success.
import type { OperatingStatus, ProvisioningStatus } from './enums.ts';
import type { ObjectRef, ObjectType, ProviderOperation } from './operation.ts';

export interface StatusChange {
  id: string;
  provisioning_status?: ProvisioningStatus;
  operating_status?: OperatingStatus;
}

/** The shape of Octavia's provider-driver status report (`update_loadbalancer_status`). */
export type StatusUpdate = Partial<Record<ObjectType, StatusChange[]>>;

function add(update: StatusUpdate, ref: ObjectRef, change: Omit<StatusChange, 'id'>): void {
  const list = (update[ref.type] ??= []);
  const existing = list.find((c) => c.id === ref.id);
  if (existing) Object.assign(existing, change);
  else list.push({ id: ref.id, ...change });
}

export function successStatuses(op: ProviderOperation): StatusUpdate {
  const update: StatusUpdate = {};
  const lbDeleted = op.target.type === 'loadbalancer' && op.action === 'delete';
  for (const r of op.locked) add(update, r, { provisioning_status: 'ACTIVE' });
  for (const r of [...op.created, ...op.updated]) add(update, r, { provisioning_status: 'ACTIVE' });
  for (const r of op.deleted) add(update, r, { provisioning_status: 'DELETED' });
  if (!lbDeleted) add(update, { type: 'loadbalancer', id: op.loadBalancerId }, { provisioning_status: 'ACTIVE' });
  return update;
}

export function failureStatuses(op: ProviderOperation): StatusUpdate {
  const update: StatusUpdate = {};
  for (const r of op.locked) add(update, r, { provisioning_status: 'ACTIVE' });
  for (const r of [...op.created, ...op.updated, ...op.deleted]) add(update, r, { provisioning_status: 'ERROR' });
  // A failed child operation unlocks the LB; a failed LB operation leaves it in ERROR.
  const lbStatus = op.target.type === 'loadbalancer' ? 'ERROR' : 'ACTIVE';
  add(update, { type: 'loadbalancer', id: op.loadBalancerId }, { provisioning_status: lbStatus });
  return update;
}
