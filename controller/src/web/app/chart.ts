// Inline SVG line chart of a node's CPU and memory (both as percent) over time.
export interface Point {
  at: string;
  cpuPercent: number;
  memoryUsedMiB: number;
  memoryTotalMiB: number;
}

const NS = 'http://www.w3.org/2000/svg';
const W = 480,
  H = 160,
  PAD = 28;

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text) e.textContent = text;
  return e;
}

export function chart(title: string, points: Point[]): SVGSVGElement {
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': `${title}: ${points.length} samples` }) as SVGSVGElement;
  svg.append(el('title', {}, title));
  for (const p of [0, 50, 100]) {
    const y = H - PAD - ((H - 2 * PAD) * p) / 100;
    svg.append(el('line', { x1: PAD, x2: W - 8, y1: y, y2: y, stroke: '#d5d9e0' }), el('text', { x: 2, y: y + 4 }, `${p}%`));
  }
  if (!points.length) {
    svg.append(el('text', { x: W / 2 - 40, y: H / 2 }, 'no samples yet'));
    return svg;
  }
  const t0 = Date.parse(points[0].at);
  const t1 = Math.max(t0 + 60_000, Date.parse(points[points.length - 1].at));
  const x = (iso: string) => PAD + ((W - PAD - 8) * (Date.parse(iso) - t0)) / (t1 - t0);
  const y = (pct: number) => H - PAD - ((H - 2 * PAD) * Math.min(100, Math.max(0, pct))) / 100;
  const line = (cls: string, v: (p: Point) => number) => {
    const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.at).toFixed(1)},${y(v(p)).toFixed(1)}`).join(' ');
    svg.append(el('path', { d, class: cls, fill: 'none', 'stroke-width': 2 }));
    if (points.length === 1) svg.append(el('circle', { cx: x(points[0].at), cy: y(v(points[0])), r: 3, class: cls, fill: 'none', 'stroke-width': 2 }));
  };
  line('cpu', (p) => p.cpuPercent);
  line('mem', (p) => (p.memoryTotalMiB ? (100 * p.memoryUsedMiB) / p.memoryTotalMiB : 0));
  const fmt = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  // The last label ends at the right edge, however long the locale writes the time ("03:45 PM").
  svg.append(el('text', { x: PAD, y: H - 6 }, fmt(t0)), el('text', { x: W - 2, y: H - 6, 'text-anchor': 'end' }, fmt(t1)));
  return svg;
}
