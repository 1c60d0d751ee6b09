/** How the page talks to its server: one POST per operation call, and the event stream. */

export class CallError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

interface Answer<O> {
  ok: boolean;
  output?: O;
  error?: string;
  code?: string;
  details?: Record<string, unknown>;
}

async function answer<O>(res: Response): Promise<O> {
  let body: Answer<O>;
  try {
    body = (await res.json()) as Answer<O>;
  } catch {
    throw new CallError(`the server answered ${res.status} without a result`, "INTERNAL", res.status);
  }
  if (!body.ok)
    throw new CallError(body.error ?? "failed", body.code ?? "INTERNAL", res.status, body.details);
  return body.output as O;
}

/** Calls an operation by name; `background` marks the page's own refreshes (not recorded). */
export async function call<O>(name: string, input: object, background = false): Promise<O> {
  const res = await fetch(`/api/op/${name}${background ? "?background=1" : ""}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  return answer<O>(res);
}

export async function upload<O>(file: File, params: Record<string, string>): Promise<O> {
  const q = new URLSearchParams({ name: file.name, ...params });
  const res = await fetch(`/api/import?${q}`, { method: "POST", body: file });
  return answer<O>(res);
}

// The shapes of the answers the page reads (the operations' output schemas, as far as used).

export interface Entry {
  id: string;
  key: string;
  namespace: string;
  value: unknown;
  type: string;
  tags: string[];
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  expiresAt?: string;
  version: number;
}

export interface QueryResult {
  key: string;
  namespace: string;
  value: unknown;
  type: string;
  tags: string[];
  score: number;
  version: number;
  updatedAt: string;
  expiresAt?: string;
}

export interface QueryOutput {
  results: QueryResult[];
  nextCursor?: string;
}

export interface GetOutput {
  found: boolean;
  entry?: Entry;
  expiresAt?: string;
}

export interface NamespaceStats {
  namespace: string;
  entries: number;
  expired: number;
  retention: string;
  byType: Record<string, number>;
}

export interface ProcessInfo {
  id: string;
  pid: number;
  kind: string;
  command?: string;
  client?: string;
  startedAt: string;
  lastSeen: string;
  status: string;
  calls: number;
  errors: number;
  inFlight: { op: string; startedAt: string }[];
}

export interface Disk {
  snapshotBytes: number;
  journalBytes: number;
  backupsBytes: number;
  sessionsBytes: number;
}

export interface StatsOutput {
  entries: number;
  expired: number;
  namespaces: NamespaceStats[];
  disk: Disk;
  processes: ProcessInfo[];
}

export interface DeleteOutput {
  deleted: number;
  keys: string[];
  truncated: boolean;
  namespace: string;
  dryRun: boolean;
}

export interface TimelinePoint {
  from: string;
  to: string;
  calls: number;
  errors: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  callsPerSec: number;
}

export interface PerformanceReport {
  sessions: number;
  alive: number;
  since?: string;
  calls: number;
  errors: number;
  retries: number;
  operations: {
    op: string;
    count: number;
    errors: number;
    p50Ms: number;
    p95Ms: number;
    maxMs: number;
    itemsPerSec?: number;
  }[];
  timeline?: TimelinePoint[];
}

export interface GrowthOutput {
  times: string[];
  series: { namespace: string; counts: number[] }[];
}

export interface Sample {
  at: string;
  entries: number;
  namespaces: Record<string, number>;
  disk: Disk;
}

export type ChangeNote =
  | { kind: "put"; namespace: string; key: string; version: number }
  | { kind: "del"; namespace: string; key: string }
  | { kind: "reset" };

export interface ChangeBatch {
  count: number;
  changes: ChangeNote[];
  revision: number;
}
