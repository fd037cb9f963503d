// Admin pages: nodes (live, with cordon/drain and CPU/memory charts), containers, reconciliation.
import { isNodeReady } from '../../domain/node-ready.ts';
import { api, watch } from './api.ts';
import { chart, type Point } from './chart.ts';
import { ago, duration, flash, h, mib, mount, pill, table } from './dom.ts';
import { formatBytes, formatCpuPercent } from './usage-format.ts';

const ready = (n: any) => isNodeReady(n.status);

export function nodesView(main: HTMLElement): () => void {
  const nodes = new Map<string, any>();
  const history = new Map<string, Point[]>();
  const list = h('div', {}, h('p', {}, 'Loading…'));
  const charts = h('div', { class: 'charts' });
  const range = h('select', { id: 'chart-range' }, ...['15m', '1h', '6h', '24h', '7d', '15d'].map((r) => h('option', { value: r, selected: r === '1h' }, r)));
  mount(
    main,
    h('h1', {}, 'Nodes'),
    list,
    h('h2', {}, 'CPU and memory over time'),
    h(
      'p',
      { class: 'legend' },
      h('label', { for: 'chart-range' }, 'Range ', range),
      ' ',
      h('span', { class: 'c' }, '— CPU %'),
      h('span', { class: 'm' }, '— memory used %'),
    ),
    charts,
  );
  const render = () => {
    const now = Date.now();
    const rows = [...nodes.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    if (!rows.length) return mount(list, h('p', {}, 'No nodes have joined yet.'));
    mount(
      list,
      table(
        ['Node', 'Status', 'RAM free / total', 'Load', 'Uptime', 'Containers', 'Heartbeat', 'Actions'],
        rows.map((n) => {
          const m = n.status.metrics ?? {};
          const name = n.metadata.name;
          return [
            h('span', {}, name, h('br'), h('span', { class: 'hint' }, n.spec.address)),
            h('span', {}, pill(ready(n) ? 'Ready' : 'NotReady'), n.spec.unschedulable ? h('span', {}, ' ', pill('Cordoned')) : null),
            m.memoryTotalBytes ? `${mib(m.memoryFreeBytes)} / ${mib(m.memoryTotalBytes)}` : '—',
            m.load1 !== undefined ? m.load1.toFixed(2) : '—',
            m.uptimeSeconds ? duration(m.uptimeSeconds * 1000) : '—',
            String(n.status.usage?.reservations ?? 0),
            h('span', { 'data-since': n.status.lastHeartbeat ?? '' }, ago(n.status.lastHeartbeat, now)),
            h(
              'div',
              { class: 'actions' },
              n.spec.unschedulable
                ? h('button', { class: 'secondary', 'aria-label': `uncordon ${name}`, onclick: () => op(name, 'uncordon') }, 'Uncordon')
                : h('button', { class: 'secondary', 'aria-label': `cordon ${name}`, onclick: () => op(name, 'cordon') }, 'Cordon'),
              h('button', { class: 'danger', 'aria-label': `drain ${name}`, onclick: () => op(name, 'drain') }, 'Drain'),
            ),
          ];
        }),
      ),
    );
  };
  const renderCharts = () => {
    mount(
      charts,
      ...[...nodes.values()].map((n) =>
        h(
          'figure',
          { 'data-node': n.metadata.name },
          chart(`${n.metadata.name} CPU and memory`, history.get(n.metadata.name) ?? []),
          h('figcaption', {}, n.metadata.name, ` (${(history.get(n.metadata.name) ?? []).length} samples)`),
        ),
      ),
    );
  };
  let loading = false;
  const loadHistory = async () => {
    if (loading) return;
    loading = true;
    try {
      for (const name of nodes.keys()) {
        const r = await api<{ samples: Point[] }>('GET', `/api/v1/nodes/${encodeURIComponent(name)}/metrics?range=${range.value}`);
        history.set(name, r.samples);
      }
      renderCharts();
    } catch (err) {
      flash((err as Error).message, true);
    } finally {
      loading = false;
    }
  };
  range.addEventListener('change', () => void loadHistory());
  const stop = watch<any>(
    '/api/v1/nodes',
    () => nodes.clear(),
    (e) => {
      const isNew = !nodes.has(e.object.metadata.name);
      if (e.type === 'DELETED') nodes.delete(e.object.metadata.name);
      else nodes.set(e.object.metadata.name, e.object);
      render();
      if (isNew) void loadHistory();
    },
  );
  // Ticking clocks update in place: re-rendering the table would swap buttons under the pointer.
  const tick = setInterval(
    () =>
      list.querySelectorAll<HTMLElement>('[data-since]').forEach((e) => {
        e.textContent = ago(e.dataset.since || undefined);
      }),
    1000,
  );
  const charting = setInterval(() => void loadHistory(), 10_000);
  return () => {
    stop();
    clearInterval(tick);
    clearInterval(charting);
  };
}

async function op(name: string, action: 'cordon' | 'uncordon' | 'drain'): Promise<void> {
  if (action === 'drain' && !confirm(`Drain ${name}? Its reservations move to other nodes where they fit.`)) return;
  try {
    await api('POST', `/api/v1/nodes/${encodeURIComponent(name)}/${action}`);
    flash(`node ${name}: ${action} done`);
  } catch (err) {
    flash((err as Error).message, true);
  }
}

export function containersView(main: HTMLElement): () => void {
  const body = h('div', {}, h('p', {}, 'Loading…'));
  mount(main, h('h1', {}, 'Containers'), body);
  const load = async () => {
    try {
      const { items } = await api<{ items: any[] }>('GET', '/api/v1/containers');
      if (!items.length) return mount(body, h('p', {}, 'No containers are placed.'));
      mount(
        body,
        table(
          ['Reservation', 'Owner', 'Node', 'Desired', 'Actual', 'Health', 'Restarts', 'CPU', 'Memory'],
          items.map((c) => [
            c.reservation,
            c.owner,
            c.node,
            pill(c.phase),
            pill(c.state),
            pill(c.health),
            String(c.restartCount),
            c.cpuPercent !== undefined ? formatCpuPercent(c.cpuPercent) : '—',
            c.memoryBytes !== undefined ? formatBytes(c.memoryBytes) : '—',
          ]),
        ),
      );
    } catch (err) {
      mount(body, h('p', { class: 'err' }, (err as Error).message));
    }
  };
  void load();
  // Container reports arrive with each reservation pass; the reservations watch is the signal.
  let pending: ReturnType<typeof setTimeout> | undefined;
  const stop = watch<any>(
    '/api/v1/reservations',
    () => {},
    () => {
      clearTimeout(pending);
      pending = setTimeout(() => void load(), 300);
    },
  );
  const every = setInterval(() => void load(), 10_000);
  return () => {
    stop();
    clearInterval(every);
    clearTimeout(pending);
  };
}

export function reconcileView(main: HTMLElement): () => void {
  const items = new Map<string, any>();
  const res = h('div', {});
  const events = h('div', {});
  mount(main, h('h1', {}, 'Reconciliation'), h('h2', {}, 'Desired vs actual'), res, h('h2', {}, 'Recent events'), events);
  const render = () => {
    const list = [...items.values()].filter((r) => !['Deleted', 'Expired'].includes(r.status.phase));
    mount(
      res,
      list.length
        ? table(
            ['Reservation', 'Desired (generation)', 'Observed', 'Phase', 'Conditions'],
            list.map((r) => [
              r.metadata.name,
              String(r.metadata.generation),
              String(r.status.observedGeneration ?? '—'),
              pill(r.status.phase),
              h('ul', {}, ...(r.status.conditions ?? []).map((c: any) => h('li', {}, `${c.type}=${c.status} ${c.reason}: ${c.message}`))),
            ]),
          )
        : h('p', {}, 'Nothing to reconcile.'),
    );
  };
  const loadEvents = async () => {
    const { items: ev } = await api<{ items: any[] }>('GET', '/api/v1/events?limit=30');
    mount(
      events,
      table(
        ['Time', 'Type', 'Object', 'Reason', 'Message'],
        ev.map((e) => [ago(e.time), pill(e.type), `${e.involvedObject.kind}/${e.involvedObject.name}`, e.reason, e.message]),
      ),
    );
  };
  const stop = watch<any>(
    '/api/v1/reservations',
    () => items.clear(),
    (e) => {
      if (e.type === 'DELETED') items.delete(e.object.metadata.uid);
      else items.set(e.object.metadata.uid, e.object);
      render();
      void loadEvents().catch(() => {});
    },
  );
  void loadEvents().catch((err) => mount(events, h('p', { class: 'err' }, (err as Error).message)));
  return stop;
}
