// A tiny element builder: h('button', { onclick }, 'text'). Text is always set as text, never HTML.
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'class') el.className = String(v);
    else if (k in el && typeof v !== 'string') (el as any)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
}

export function mount(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function flash(text: string, bad = false): void {
  const box = document.getElementById('flash')!;
  mount(box, h('div', { class: bad ? 'msg bad' : 'msg' }, text));
  setTimeout(() => {
    if (box.textContent === text) box.replaceChildren();
  }, 6000);
}

export function pill(text: string, cls = text): HTMLElement {
  return h('span', { class: `pill ${cls}` }, text);
}

/** A table whose cells carry their column name (stacked layout on phones). */
export function table(cols: string[], rows: Child[][], caption?: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'responsive' },
      caption ? h('caption', { class: 'hint' }, caption) : null,
      h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((cell, i) => h('td', { 'data-label': cols[i] }, cell))))),
    ),
  );
}

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  return `${duration(now - Date.parse(iso))} ago`;
}

export function duration(ms: number): string {
  if (ms < 0) ms = 0;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr}h${m % 60 ? ` ${m % 60}m` : ''}`;
  return `${Math.floor(hr / 24)}d ${hr % 24}h`;
}

export const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;
export const mib = (bytes: number) => `${Math.round(bytes / 1048576)} MiB`;
