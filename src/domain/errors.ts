/**
 * Every failure an agent or a person can act on is a `MemoryError` with a stable code. The two front
 * doors (tools/ and cli.ts) turn it into an `isError` result or an exit status at one place each.
 */
export const ERROR_CODES = [
  "INVALID_INPUT",
  "NOT_FOUND",
  "VERSION_CONFLICT",
  "ALREADY_EXISTS",
  "LIMIT_EXCEEDED",
  "PATH_OUTSIDE_PROJECT",
  "LOCK_BUSY",
  "CORRUPT_DATA",
  "CONFIG_INVALID",
  "IO_ERROR",
  "UNAVAILABLE",
  "CANCELLED",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes worth retrying: another process holds the lock, or the OS asked us to try again. */
const TRANSIENT: ReadonlySet<string> = new Set([
  "LOCK_BUSY",
  "EAGAIN",
  "EBUSY",
  "EMFILE",
  "ENFILE",
  "ELOCKED",
]);

export class MemoryError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "MemoryError";
    this.code = code;
    if (details) this.details = details;
  }
}

export function isTransient(error: unknown): boolean {
  if (error instanceof MemoryError) return TRANSIENT.has(error.code);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && TRANSIENT.has(code);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
