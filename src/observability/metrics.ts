// What this process counted, for /metrics: one registry per process, and the only door to it.
// Any module may count through `counter`/`histogram` (get-or-create by name, so two modules
// naming one metric share it) without knowing who exports it; figures read from the database
// at scrape time are added by the exporter (fleet-metrics.ts). Imports nothing of Fulcrum.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const registry = new Registry();
let processFigures = false;

/**
 * Adds Node's own figures (CPU, memory, event-loop lag, GC) to this process's registry; called
 * where /metrics is served, so a one-off command that only counts never starts their probes.
 */
export function collectProcessMetrics(): void {
  if (processFigures) return;
  processFigures = true;
  collectDefaultMetrics({ register: registry, prefix: 'fulcrum_' });
}

/** Seconds: from a fast read (a few ms) to a slow flow (a minute or more). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets = LATENCY_BUCKETS): Histogram<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Histogram<L>;
  return new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<L>;
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

/** This process's metrics and, when given, registries filled at scrape time, in the text format. */
export async function exposition(extra: Registry[] = []): Promise<string> {
  return extra.length === 0 ? registry.metrics() : Registry.merge([registry, ...extra]).metrics();
}

export const EXPOSITION_CONTENT_TYPE = registry.contentType;

// ---- what the parts of Fulcrum count --------------------------------------------------------
// Named here so each is defined once and the exporter's documentation has one place to look.

export const apiRequests = () =>
  histogram('fulcrum_api_request_duration_seconds', 'API requests by route pattern, method and status, with their latency', ['method', 'route', 'status']);

export const heartbeatsReceived = () => counter('fulcrum_heartbeats_received_total', 'Heartbeat datagrams this process received');
export const heartbeatsAccepted = () => counter('fulcrum_heartbeats_accepted_total', 'Heartbeats that passed every check');
export const heartbeatsRejected = () => counter('fulcrum_heartbeats_rejected_total', 'Heartbeats dropped, by reason', ['reason']);

export const jobsFinished = () =>
  histogram('fulcrum_job_duration_seconds', 'Jobs this process finished, by kind and outcome, with the time from queued to finished', ['kind', 'outcome']);
export const jobStepFailures = () => counter('fulcrum_job_step_failures_total', 'Flow steps that failed in this process (then retried or reverted)', ['kind']);

export const failoversQueued = () => counter('fulcrum_failovers_triggered_total', 'Automatic failovers this health manager queued', ['cause']);
