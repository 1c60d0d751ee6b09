/**
 * Counters of this process that its session record reports (telemetry/sessions.ts): the batch
 * executor counts the transient failures it retried here.
 */
export const batchCounters = { retries: 0 };
