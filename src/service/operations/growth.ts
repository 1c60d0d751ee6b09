/**
 * growth (the web page's chart of entries per namespace over time): how many of today's live
 * entries each namespace held at the end of each interval, counted by when the entries were
 * created. Entries deleted or expired since are not in the store any more and so not counted:
 * the curve shows how the memory that is still there was built up.
 */
import { z } from "zod";
import { NamespaceSchema } from "../../domain/entry.js";
import { defineOperation } from "./operation.js";

export const GrowthInputSchema = z.object({
  buckets: z
    .number({ error: "buckets must be a number from 2 to 500" })
    .int({ error: "buckets must be a whole number from 2 to 500" })
    .min(2, { error: "buckets must be at least 2" })
    .max(500, { error: "buckets must be at most 500" })
    .optional()
    .describe("Intervals between the oldest entry and now (default 40)."),
  namespaces: z.array(NamespaceSchema).max(100).optional().describe("Only these namespaces (default: all)."),
});

export const GrowthOutputSchema = z.object({
  times: z.array(z.string()).describe("the end of each interval"),
  series: z.array(z.object({ namespace: z.string(), counts: z.array(z.number().int()) })),
});
export type GrowthOutput = z.infer<typeof GrowthOutputSchema>;

export const growthOperation = defineOperation({
  name: "growth",
  input: GrowthInputSchema,
  output: GrowthOutputSchema,
  run: (bank, input) => {
    const read = bank.read();
    const buckets = input.buckets ?? 40;
    const names = input.namespaces ?? read.namespaces();
    const created = new Map<string, number[]>();
    let first = read.now;
    for (const ns of names) {
      const times: number[] = [];
      for (const e of read.live(ns)) {
        const t = Date.parse(e.createdAt);
        if (!Number.isFinite(t)) continue;
        times.push(t);
        if (t < first) first = t;
      }
      created.set(ns, times);
    }
    const width = Math.max(1, read.now - first) / buckets;
    const ends = Array.from({ length: buckets }, (_, i) => first + (i + 1) * width);
    const series = names.map((namespace) => {
      const perBucket = new Array<number>(buckets).fill(0);
      for (const t of created.get(namespace) ?? []) {
        const i = Math.min(buckets - 1, Math.max(0, Math.ceil((t - first) / width) - 1));
        perBucket[i] = (perBucket[i] ?? 0) + 1;
      }
      let total = 0;
      return { namespace, counts: perBucket.map((n) => (total += n)) };
    });
    return { times: ends.map((t) => new Date(t).toISOString()), series };
  },
  render: (o) =>
    o.series.length === 0
      ? "No entries."
      : o.series.map((s) => `- ${s.namespace}: ${s.counts.join(" ")}`).join("\n"),
});
