// Serializer pieces every Octavia object shares.

/** Naive UTC ISO-8601, as Octavia renders timestamps. */
export function octaviaTime(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return new Date(value).toISOString().replace(/Z$/, '');
}

export function idRefs(ids: string[] | undefined): { id: string }[] {
  return (ids ?? []).map((id) => ({ id }));
}

interface BaseRow {
  id: string;
  project_id: string;
  provisioning_status: string;
  operating_status: string;
  admin_state_up: boolean;
  created_at: Date;
  updated_at: Date | null;
  tags: string[];
}

/** The fields every project-owned, provisioned object carries, with tenant_id mirrored. */
export function baseFields(row: BaseRow) {
  return {
    id: row.id,
    project_id: row.project_id,
    tenant_id: row.project_id,
    provisioning_status: row.provisioning_status,
    operating_status: row.operating_status,
    admin_state_up: row.admin_state_up,
    created_at: octaviaTime(row.created_at),
    updated_at: octaviaTime(row.updated_at),
    tags: row.tags ?? [],
  };
}

/** Octavia renders a stored null name or description as "". */
export function text(value: string | null): string {
  return value ?? '';
}

/** Octavia coerces `admin_state_up: null` to false; absent means the default, true. */
export function adminStateUp(value: boolean | null | undefined): boolean {
  return value === undefined ? true : value === true;
}
