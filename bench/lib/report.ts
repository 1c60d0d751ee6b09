/** Markdown tables for the terminal and bench/RESULTS.md, and the latency-vs-N chart as plain SVG. */

export interface Table {
  title?: string;
  headers: string[];
  rows: string[][];
}

export interface Section {
  title: string;
  intro?: string;
  tables: Table[];
  notes: string[];
}

export function renderTable(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const lines = [
    ...(t.title ? [`**${t.title}**`, ""] : []),
    `| ${t.headers.map(esc).join(" | ")} |`,
    `| ${t.headers.map((_h, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ];
  return lines.join("\n");
}

export function renderSection(s: Section): string {
  const parts = [`## ${s.title}`, ""];
  if (s.intro) parts.push(s.intro, "");
  for (const t of s.tables) parts.push(renderTable(t), "");
  if (s.notes.length) parts.push(...s.notes.map((n) => `- ${n}`), "");
  return parts.join("\n");
}

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  points: Array<{ n: number; ms: number }>;
}

/** A log-log line chart of p50 latency against the number of stored entries. */
export function latencyChart(title: string, series: Series[]): string {
  const W = 760;
  const H = 460;
  const m = { left: 70, right: 210, top: 44, bottom: 56 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const all = series.flatMap((s) => s.points).filter((p) => p.ms > 0 && Number.isFinite(p.ms));
  const ns = all.map((p) => p.n);
  const xs = all.map((p) => p.ms);
  const xMin = Math.floor(Math.log10(Math.min(...ns, 1000)));
  const xMax = Math.ceil(Math.log10(Math.max(...ns, 10_000)));
  const yMin = Math.floor(Math.log10(Math.min(...xs, 0.1)));
  const yMax = Math.ceil(Math.log10(Math.max(...xs, 10)));
  const X = (n: number) => m.left + ((Math.log10(n) - xMin) / (xMax - xMin)) * pw;
  const Y = (v: number) => m.top + ph - ((Math.log10(v) - yMin) / (yMax - yMin)) * ph;
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${m.left}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`,
  );
  for (let e = yMin; e <= yMax; e++) {
    const y = Y(10 ** e);
    const label = e >= 3 ? `${10 ** (e - 3)} s` : e >= 0 ? `${10 ** e} ms` : `${(10 ** e).toFixed(-e)} ms`;
    out.push(
      `<line x1="${m.left}" y1="${y.toFixed(1)}" x2="${m.left + pw}" y2="${y.toFixed(1)}" stroke="#e3e3e3"/>`,
      `<text x="${m.left - 8}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#444">${label}</text>`,
    );
  }
  for (let e = xMin; e <= xMax; e++) {
    const x = X(10 ** e);
    const n = 10 ** e;
    const label = n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${m.top}" x2="${x.toFixed(1)}" y2="${m.top + ph}" stroke="#e3e3e3"/>`,
      `<text x="${x.toFixed(1)}" y="${m.top + ph + 18}" text-anchor="middle" fill="#444">${label}</text>`,
    );
  }
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
    `<text x="${m.left + pw / 2}" y="${H - 14}" text-anchor="middle" fill="#222">entries in the store (log scale)</text>`,
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">p50 latency per call over stdio (log scale)</text>`,
  );
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => p.ms > 0 && Number.isFinite(p.ms)).sort((a, b) => a.n - b.n);
    if (pts.length > 0) {
      const d = pts
        .map((p, j) => `${j === 0 ? "M" : "L"}${X(p.n).toFixed(1)} ${Y(p.ms).toFixed(1)}`)
        .join(" ");
      out.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
      );
      for (const p of pts) {
        out.push(
          `<circle cx="${X(p.n).toFixed(1)}" cy="${Y(p.ms).toFixed(1)}" r="3.5" fill="${s.color}"><title>${esc(s.label)}: ${p.n} entries, ${p.ms.toFixed(3)} ms</title></circle>`,
        );
      }
    }
    const ly = m.top + 10 + i * 22;
    const lx = m.left + pw + 16;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 26}" y2="${ly}" stroke="${s.color}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
      `<text x="${lx + 32}" y="${ly + 4}" fill="#222">${esc(s.label)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
