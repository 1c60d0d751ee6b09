/**
 * Values that look like secrets: private keys, cloud and git tokens, bearer tokens. Memory is
 * shared by every agent of the project and often lands in git with the project, so a secret in
 * it is a leak waiting to happen: a store that holds one reports it, and masks it when the config
 * asks (memory.secrets = "mask"). The patterns are the well-known, prefixed formats only, so
 * ordinary prose and hashes do not trip them.
 */

export interface SecretPattern {
  kind: string;
  re: RegExp;
}

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    kind: "private key",
    re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  { kind: "AWS access key id", re: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  { kind: "AWS secret access key", re: /\baws_secret_access_key\s*[=:]\s*["']?[A-Za-z0-9/+=]{40}\b/gi },
  { kind: "GitHub token", re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: "GitLab token", re: /\bglpat-[A-Za-z0-9_-]{20,}\b/g },
  { kind: "Slack token", re: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { kind: "Google API key", re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: "Stripe secret key", re: /\b(?:sk|rk)_live_[0-9A-Za-z]{20,}\b/g },
  { kind: "Anthropic API key", re: /\bsk-ant-[A-Za-z0-9_-]{20,}\b/g },
  { kind: "OpenAI API key", re: /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,}\b/g },
  { kind: "JSON web token", re: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g },
  { kind: "bearer token", re: /\bBearer\s+[A-Za-z0-9._~+/-]{20,}=*/g },
];

export const MASK = "[secret masked]";

/** Kinds of secret found in a value's strings (keys of objects included), each named once. */
export function findSecrets(value: unknown): string[] {
  const kinds = new Set<string>();
  visit(value, (s) => {
    for (const p of SECRET_PATTERNS) {
      p.re.lastIndex = 0;
      if (p.re.test(s)) kinds.add(p.kind);
    }
    return s;
  });
  return [...kinds];
}

/** The value with every secret replaced by MASK (a new value; the argument is not changed). */
export function maskSecrets(value: unknown): unknown {
  return visit(value, (s) => {
    let out = s;
    for (const p of SECRET_PATTERNS) out = out.replace(p.re, MASK);
    return out;
  });
}

function visit(value: unknown, onString: (s: string) => string): unknown {
  if (typeof value === "string") return onString(value);
  if (Array.isArray(value)) return value.map((v) => visit(v, onString));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[onString(k)] = visit(v, onString);
    return out;
  }
  return value;
}
