/**
 * Small SVG charts: lines over time, and bars. Drawn from numbers the page already has, as
 * plain SVG elements, so they scale with the window and need no library.
 */

const SVG = "http://www.w3.org/2000/svg";
export const COLORS = [
  "#2458b3",
  "#d9534f",
  "#2e9d5b",
  "#c98a00",
  "#7b4fb3",
  "#1b9aaa",
  "#b3477b",
  "#5d6369",
];

export interface Series {
  name: string;
  values: number[];
}

function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function short(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return `${+n.toFixed(2)}`;
}

function timeLabel(t: number, span: number): string {
  const d = new Date(t);
  if (span > 2 * 86_400_000) return d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

const W = 480;
const H = 200;
const PAD = { l: 60, r: 12, t: 10, b: 24 };

function frame(container: HTMLElement, label: string, max: number, unit: (n: number) => string): SVGElement {
  container.replaceChildren();
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label });
  for (let i = 0; i <= 4; i++) {
    const y = PAD.t + ((H - PAD.t - PAD.b) * i) / 4;
    svg.append(el("line", { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y, class: "grid" }));
    svg.append(el("text", { x: PAD.l - 4, y: y + 3, "text-anchor": "end" }, unit((max * (4 - i)) / 4)));
  }
  svg.append(el("line", { x1: PAD.l, x2: W - PAD.r, y1: H - PAD.b, y2: H - PAD.b, class: "axis" }));
  container.append(svg);
  return svg;
}

function legend(container: HTMLElement, series: readonly Series[]): void {
  if (series.length < 2) return;
  const div = document.createElement("div");
  div.className = "legend";
  series.forEach((s, i) => {
    const span = document.createElement("span");
    span.style.setProperty("--c", COLORS[i % COLORS.length] ?? "#000");
    span.textContent = s.name;
    div.append(span);
  });
  container.append(div);
}

function empty(container: HTMLElement, text: string): void {
  const p = document.createElement("p");
  p.className = "empty";
  p.textContent = text;
  container.replaceChildren(p);
}

/** Lines over time: `times` (epoch ms) against each series' values. */
export function lineChart(
  container: HTMLElement,
  label: string,
  times: readonly number[],
  series: readonly Series[],
  unit: (n: number) => string = short,
): void {
  if (times.length === 0 || series.length === 0) {
    empty(container, "No data yet.");
    return;
  }
  const max = niceMax(Math.max(...series.flatMap((s) => s.values)));
  const svg = frame(container, label, max, unit);
  const t0 = times[0] ?? 0;
  const t1 = times[times.length - 1] ?? t0;
  const span = Math.max(1, t1 - t0);
  const x = (t: number) => PAD.l + ((W - PAD.l - PAD.r) * (t - t0)) / span;
  const y = (v: number) => H - PAD.b - ((H - PAD.t - PAD.b) * v) / max;
  for (const t of [t0, t0 + span / 2, t1]) {
    svg.append(el("text", { x: x(t), y: H - 8, "text-anchor": "middle" }, timeLabel(t, span)));
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] ?? "#000";
    const points = s.values.map((v, j) => `${x(times[j] ?? t0).toFixed(1)},${y(v).toFixed(1)}`);
    if (points.length === 1) {
      const [px, py] = (points[0] ?? "0,0").split(",");
      svg.append(el("circle", { cx: px ?? 0, cy: py ?? 0, r: 3, fill: color, "data-series": s.name }));
    } else {
      svg.append(
        el("polyline", {
          points: points.join(" "),
          fill: "none",
          stroke: color,
          "stroke-width": 1.8,
          "data-series": s.name,
        }),
      );
    }
  });
  legend(container, series);
}

/** Bars over time: one bar per interval. */
export function barChart(
  container: HTMLElement,
  label: string,
  times: readonly number[],
  values: readonly number[],
  unit: (n: number) => string = short,
): void {
  if (values.length === 0 || values.every((v) => v === 0)) {
    empty(container, "No calls recorded yet.");
    return;
  }
  const max = niceMax(Math.max(...values));
  const svg = frame(container, label, max, unit);
  const inner = W - PAD.l - PAD.r;
  const w = inner / values.length;
  const t0 = times[0] ?? 0;
  const t1 = times[times.length - 1] ?? t0;
  values.forEach((v, i) => {
    const h = ((H - PAD.t - PAD.b) * v) / max;
    const bar = el("rect", {
      x: PAD.l + i * w + 0.5,
      y: H - PAD.b - h,
      width: Math.max(1, w - 1),
      height: h,
      fill: COLORS[0] ?? "#000",
      class: "bar",
    });
    bar.append(el("title", {}, `${short(v)} at ${new Date(times[i] ?? t0).toLocaleString()}`));
    svg.append(bar);
  });
  const span = Math.max(1, t1 - t0);
  svg.append(el("text", { x: PAD.l, y: H - 8, "text-anchor": "start" }, timeLabel(t0, span)));
  svg.append(el("text", { x: W - PAD.r, y: H - 8, "text-anchor": "end" }, timeLabel(t1, span)));
}

export function bytes(n: number): string {
  if (n >= 1 << 30) return `${+(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${+(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${+(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
