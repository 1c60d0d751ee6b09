/**
 * `memory-bank analyze`: where the memory goes. Namespace sizes, the largest entries, values
 * stored under more than one key (candidates for consolidation), tag usage, and growth over time
 * (entries created per day, from createdAt).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { NamespaceSchema } from "../../domain/entry.js";
import type { MemoryBank } from "../bank.js";
import { defineOperation } from "./operation.js";

export const AnalysisSchema = z.object({
  entries: z.number().int(),
  valueBytes: z.number().int(),
  namespaces: z.array(
    z.object({
      namespace: z.string(),
      entries: z.number().int(),
      valueBytes: z.number().int(),
      share: z.number(),
    }),
  ),
  largest: z.array(z.object({ namespace: z.string(), key: z.string(), valueBytes: z.number().int() })),
  duplicates: z.array(
    z.object({
      valueBytes: z.number().int(),
      count: z.number().int(),
      keys: z.array(z.string()).describe("namespace/key of each copy (at most 10)"),
    }),
  ),
  tags: z.array(z.object({ tag: z.string(), count: z.number().int() })),
  growth: z.array(z.object({ day: z.string(), created: z.number().int(), total: z.number().int() })),
});
export type Analysis = z.infer<typeof AnalysisSchema>;

export function analyze(bank: MemoryBank, options: { namespace?: string; top?: number } = {}): Analysis {
  const read = bank.read();
  const top = options.top ?? 10;
  const perNs = new Map<string, { entries: number; valueBytes: number }>();
  const sizes: Array<{ namespace: string; key: string; valueBytes: number }> = [];
  const byHash = new Map<string, { valueBytes: number; keys: string[] }>();
  const tags = new Map<string, number>();
  const perDay = new Map<string, number>();
  let total = 0;
  let totalBytes = 0;
  for (const e of read.live()) {
    if (options.namespace !== undefined && e.namespace !== options.namespace) continue;
    const json = JSON.stringify(e.value) ?? "null";
    const valueBytes = Buffer.byteLength(json, "utf8");
    total++;
    totalBytes += valueBytes;
    const ns = perNs.get(e.namespace) ?? { entries: 0, valueBytes: 0 };
    ns.entries++;
    ns.valueBytes += valueBytes;
    perNs.set(e.namespace, ns);
    sizes.push({ namespace: e.namespace, key: e.key, valueBytes });
    const hash = createHash("sha1").update(json).digest("base64");
    const dup = byHash.get(hash) ?? { valueBytes, keys: [] };
    dup.keys.push(`${e.namespace}/${e.key}`);
    byHash.set(hash, dup);
    for (const t of e.tags) tags.set(t, (tags.get(t) ?? 0) + 1);
    const day = e.createdAt.slice(0, 10);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
  }
  let running = 0;
  const growth = [...perDay.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([day, created]) => {
      running += created;
      return { day, created, total: running };
    });
  return {
    entries: total,
    valueBytes: totalBytes,
    namespaces: [...perNs.entries()]
      .map(([namespace, s]) => ({
        namespace,
        ...s,
        share: totalBytes ? Math.round((s.valueBytes / totalBytes) * 1000) / 1000 : 0,
      }))
      .sort((a, b) => b.valueBytes - a.valueBytes || (a.namespace < b.namespace ? -1 : 1)),
    largest: sizes.sort((a, b) => b.valueBytes - a.valueBytes).slice(0, top),
    duplicates: [...byHash.values()]
      .filter((d) => d.keys.length > 1)
      .sort((a, b) => b.keys.length * b.valueBytes - a.keys.length * a.valueBytes)
      .slice(0, top)
      .map((d) => ({ valueBytes: d.valueBytes, count: d.keys.length, keys: d.keys.sort().slice(0, 10) })),
    tags: [...tags.entries()]
      .map(([tag, count]) => ({ tag, count }))
      .sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : 1))
      .slice(0, top),
    // Days, most recent last: the last `top` of them when asked, else two months.
    growth: growth.slice(-(options.top ?? 60)),
  };
}

export const AnalyzeInputSchema = z.object({
  namespace: NamespaceSchema.optional().describe("Only this namespace."),
  top: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe("Rows per section (default 10; growth: the last 60 days)."),
});

export const analyzeOperation = defineOperation({
  name: "analyze",
  input: AnalyzeInputSchema,
  output: AnalysisSchema,
  run: (bank, input) => analyze(bank, input),
  render: (r) =>
    [
      `${r.entries} live entries, ${r.valueBytes} bytes of values in ${r.namespaces.length} namespace(s).`,
      ...r.namespaces.map((n) => `- ${n.namespace}: ${n.entries} entries, ${n.valueBytes} bytes`),
      `${r.duplicates.length} value(s) stored under more than one key; ${r.tags.length} tag(s) in use.`,
    ].join("\n"),
});
