// Which color a status is drawn in: the tone of a badge in the status tree and the tables.
export type Tone = 'ok' | 'warn' | 'bad' | 'busy' | 'idle';

const TONES: Record<string, Tone> = {
  ACTIVE: 'ok',
  ONLINE: 'ok',
  READY: 'ok',
  ALLOCATED: 'ok',
  ENABLED: 'ok',
  succeeded: 'ok',
  closed: 'ok',
  NO_MONITOR: 'idle',
  OFFLINE: 'idle',
  DELETED: 'idle',
  DISABLED: 'idle',
  DEGRADED: 'warn',
  DRAINING: 'warn',
  queued: 'busy',
  running: 'busy',
  BOOTING: 'busy',
  ERROR: 'bad',
  failed: 'bad',
  open: 'bad',
};

export function statusTone(status: string | null | undefined): Tone {
  if (!status) return 'idle';
  if (status.startsWith('PENDING_')) return 'busy';
  return TONES[status] ?? 'idle';
}

const SEVERITY_TONES: Record<string, Tone> = { info: 'ok', warning: 'warn', error: 'bad', critical: 'bad' };

/** An event's severity as a tone; unknown severities are drawn neutral. */
export function severityTone(severity: string | null | undefined): Tone {
  return SEVERITY_TONES[(severity ?? '').toLowerCase()] ?? 'idle';
}

/** A host that stopped answering is a failure, not a choice (an OFFLINE member is one turned off). */
export function hostTone(operatingStatus: string | null | undefined): Tone {
  return operatingStatus === 'OFFLINE' ? 'bad' : statusTone(operatingStatus);
}
