// Hash router of the dashboard: who is logged in decides the menu; each view returns a cleanup.
import { api, token } from './api.ts';
import { flash, h, mount } from './dom.ts';
import { authView, billsView, reservationsView, reserveView } from './customer.ts';
import { containersView, nodesView, reconcileView } from './admin.ts';
import { timelineView } from './gantt-view.ts';

interface Me {
  username: string;
  role: string;
}

let me: Me | undefined;
let cleanup: (() => void) | void;

const go = (hash: string) => {
  if (location.hash === hash) void route();
  else location.hash = hash;
};

async function whoami(): Promise<Me | undefined> {
  if (!token.get()) return undefined;
  try {
    const u = await api<any>('GET', '/api/v1/auth/whoami');
    return { username: u.username ?? u.metadata?.name ?? u.user?.username, role: u.role ?? u.spec?.role ?? u.user?.role ?? 'customer' };
  } catch {
    token.clear();
    return undefined;
  }
}

function menu(path: string): void {
  const nav = document.getElementById('nav')!;
  const who = document.getElementById('who')!;
  const links: Array<[string, string]> = !me
    ? [
        ['#/login', 'Log in'],
        ['#/signup', 'Sign up'],
      ]
    : [
        ['#/reserve', 'Reserve'],
        ['#/reservations', 'Reservations'],
        ['#/bills', 'Bills'],
        ...(me.role === 'admin'
          ? ([
              ['#/admin/nodes', 'Nodes'],
              ['#/admin/timeline', 'Timeline'],
              ['#/admin/containers', 'Containers'],
              ['#/admin/reconcile', 'Reconciliation'],
            ] as Array<[string, string]>)
          : []),
      ];
  mount(nav, ...links.map(([href, text]) => h('a', { href, 'aria-current': href === `#${path}` ? 'page' : undefined }, text)));
  mount(who, me ? h('span', {}, `${me.username} (${me.role})`) : null, me ? h('button', { class: 'secondary', onclick: logout }, 'Log out') : null);
}

async function logout(): Promise<void> {
  await api('POST', '/api/v1/auth/logout').catch(() => {});
  token.clear();
  me = undefined;
  go('#/login');
}

async function route(): Promise<void> {
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  const main = document.getElementById('main')!;
  const path = location.hash.replace(/^#/, '') || '/';
  me = await whoami();
  const open = ['/login', '/signup'];
  if (!me && !open.includes(path)) return go('#/login');
  if (me && (path === '/' || open.includes(path))) return go(me.role === 'admin' ? '#/admin/nodes' : '#/reservations');
  // The API refuses or reduces what these pages read for a customer; send them home instead.
  if (me && me.role !== 'admin' && path.startsWith('/admin/')) return go('#/reservations');
  menu(path);
  try {
    switch (path) {
      case '/login':
        return authView(main, 'login', go);
      case '/signup':
        return authView(main, 'signup', go);
      case '/reserve':
        return await reserveView(main, go);
      case '/reservations':
        cleanup = reservationsView(main, me!.role === 'admin');
        return;
      case '/bills':
        return await billsView(main);
      case '/admin/nodes':
        cleanup = nodesView(main);
        return;
      case '/admin/timeline':
        cleanup = timelineView(main);
        return;
      case '/admin/containers':
        cleanup = containersView(main);
        return;
      case '/admin/reconcile':
        cleanup = reconcileView(main);
        return;
      default:
        mount(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Home')));
    }
  } catch (err) {
    flash((err as Error).message, true);
  } finally {
    main.focus({ preventScroll: true });
  }
}

window.addEventListener('hashchange', () => void route());
void route();
