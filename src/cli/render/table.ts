/** Aligned plain-text tables for the CLI: numbers right-aligned, everything else left-aligned. */

export type Cell = string | number | boolean | undefined | null;

export function table(headers: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map(cellText));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number" || r[i] == null),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...text.map(line)].join("\n");
}

/** Two-column "label  value" listing. */
export function pairs(rows: Array<[string, Cell]>): string {
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${cellText(v)}`).join("\n");
}

function cellText(c: Cell): string {
  if (c === undefined || c === null) return "";
  if (typeof c === "number") return Number.isInteger(c) ? String(c) : c.toFixed(3).replace(/\.?0+$/, "");
  // Control characters in keys or values must not drive the terminal.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point
  return String(c).replace(/[\u0000-\u001f\u007f]/g, " ");
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
