// Customer pages: sign up / log in, catalog + reservation form, my reservations (live), my bills.
import { api, RequestError, token, watch } from './api.ts';
import { isTerminal } from '../../domain/phases.ts';
import { ago, duration, flash, h, money, mount, pill, table } from './dom.ts';
import { endingSoonBanner } from './ending-soon.ts';
import { availabilityStrip, type Pick } from './calendar-view.ts';
import { localInput } from './local-time.ts';
import { durationUntil } from './slot-pick.ts';

export type Go = (hash: string) => void;

export function authView(main: HTMLElement, mode: 'login' | 'signup', go: Go): void {
  const errs: Record<string, HTMLElement> = {};
  const field = (name: string, label: string, type = 'text', autocomplete?: string) => {
    errs[name] = h('span', { class: 'err', id: `${name}-err` });
    return h('label', {}, label, h('input', { name, type, required: true, autocomplete, 'aria-describedby': `${name}-err` }), errs[name]);
  };
  const form = h(
    'form',
    { class: 'stack card', novalidate: true },
    field('username', 'Username', 'text', 'username'),
    mode === 'signup' ? field('email', 'Email', 'email', 'email') : null,
    field('password', 'Password', 'password', mode === 'signup' ? 'new-password' : 'current-password'),
    h('button', { type: 'submit' }, mode === 'signup' ? 'Create account' : 'Log in'),
    h('p', {}, mode === 'signup' ? h('a', { href: '#/login' }, 'I already have an account') : h('a', { href: '#/signup' }, 'Create an account')),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = Object.fromEntries(new FormData(form)) as Record<string, string>;
    for (const e of Object.values(errs)) e.textContent = '';
    try {
      const res = await api<{ token: string }>('POST', `/api/v1/auth/${mode}`, data);
      token.set(res.token);
      go('#/reservations');
    } catch (err) {
      showError(form, errs, err, 'username');
    }
  });
  mount(main, h('h1', {}, mode === 'signup' ? 'Sign up' : 'Log in'), form);
}

/**
 * Puts a server error next to its field (body.error.field, e.g. spec.duration), each problem of an
 * invalid manifest next to its own, and flashes what belongs to no field of the form.
 */
function showError(form: HTMLFormElement, errs: Record<string, HTMLElement>, err: unknown, fallback?: string): void {
  const e = err instanceof RequestError ? err.error : { message: String(err), field: undefined, details: undefined };
  const problems = e.details?.problems?.length ? e.details.problems : [{ field: e.field, message: e.message }];
  const unplaced: string[] = [];
  let focused = false;
  for (const p of problems) {
    const key = p.field?.replace(/^(spec|metadata)\./, '');
    const target = (key && errs[key]) || (fallback && !p.field ? errs[fallback] : undefined);
    if (!target) {
      unplaced.push(p.message);
      continue;
    }
    target.textContent = target.textContent ? `${target.textContent}; ${p.message}` : p.message;
    const input = form.querySelector<HTMLInputElement>(`[name="${key ?? fallback}"]`);
    input?.setAttribute('aria-invalid', 'true');
    if (!focused) input?.focus();
    focused = true;
  }
  if (unplaced.length) flash(unplaced.join('; '), true);
}

function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DURATION_RE = /^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$/;
// Cores as the API takes them: whole or up to 3 decimals (0.5), or millicores (250m).
const CORES_RE = /^(\d+(\.\d{0,3}0*)?|\.\d{1,3}0*|\d+m)$/;

export async function reserveView(main: HTMLElement, go: Go): Promise<void> {
  const images = (await api<{ items: any[] }>('GET', '/api/v1/images')).items;
  const errs: Record<string, HTMLElement> = {};
  const field = (name: string, label: string, input: HTMLElement, hint?: string) => {
    errs[name] = h('span', { class: 'err', id: `f-${name}-err` });
    input.id = `f-${name}`;
    input.setAttribute('name', name);
    input.setAttribute('aria-describedby', `f-${name}-err${hint ? ` f-${name}-hint` : ''}`);
    // An empty hint keeps the controls of one row at the same height.
    const hintEl = hint ? h('span', { class: 'hint', id: `f-${name}-hint` }, hint) : h('span', { class: 'hint', 'aria-hidden': 'true' });
    return h('label', { for: `f-${name}` }, label, hintEl, input, errs[name]);
  };
  const imageSel = h('select', {}, ...images.map((i) => h('option', { value: i.metadata.name }, `${i.metadata.name} (${i.spec.ref})`)));
  // A NoResources refusal's counter-offers, as buttons that reserve with that one change.
  const offersBox = h('div', { class: 'offers', 'aria-live': 'polite' });
  // The hour under way starts "now": its duration is counted again at submit, to the same end.
  let picked: Pick | undefined;
  const strip = availabilityStrip((pick) => {
    picked = pick;
    for (const [name, value] of [
      ['start', pick.start ? localInput(pick.start) : ''],
      ['duration', pick.duration],
    ]) {
      set(name, value);
      errs[name].textContent = '';
      form.querySelector(`[name="${name}"]`)?.removeAttribute('aria-invalid');
    }
  });
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    h(
      'div',
      { class: 'grid2' },
      field('name', 'Name', h('input', { required: true, placeholder: 'my-service', autocomplete: 'off' }), 'lowercase letters, digits and -'),
      field('image', 'Image', imageSel),
      field('start', 'Start', h('input', { type: 'datetime-local' }), 'empty = now'),
      field('duration', 'Duration', h('input', { required: true, value: '1h' }), 'e.g. 90m, 2h, 1d'),
      field(
        'profile',
        'Storage profile',
        h(
          'select',
          {},
          h('option', { value: 'ephemeral' }, 'ephemeral (container only)'),
          h('option', { value: 'local' }, 'local volume'),
          h('option', { value: 'remote' }, 'remote storage'),
        ),
      ),
      field('cores', 'Cores', h('input', { inputmode: 'decimal', placeholder: 'image default', autocomplete: 'off' }), 'e.g. 2, 0.5 or 250m'),
      field('memory', 'Memory', h('input', { placeholder: 'image default, e.g. 256Mi' })),
    ),
    strip.el,
    h('p', {}, h('button', { type: 'submit' }, 'Reserve')),
    offersBox,
  );
  // The strip follows the form's image, profile and size; a size the form would refuse waits.
  const loadStrip = () => {
    const data = Object.fromEntries(new FormData(form)) as Record<string, string>;
    if (!data.image) return;
    if ((data.cores && !CORES_RE.test(data.cores.trim())) || (data.memory && !/^\d+(Mi|Gi)$/.test(data.memory))) return;
    void strip.load({ image: data.image, profile: data.profile, cores: data.cores.trim() || undefined, memory: data.memory || undefined });
  };
  form.addEventListener('change', (ev) => {
    if (['image', 'profile', 'cores', 'memory'].includes((ev.target as HTMLElement).getAttribute('name') ?? '')) loadStrip();
  });
  const check = (data: Record<string, string>): boolean => {
    let ok = true;
    const bad = (k: string, msg: string) => {
      errs[k].textContent = msg;
      form.querySelector(`[name="${k}"]`)?.setAttribute('aria-invalid', 'true');
      ok = false;
    };
    if (!NAME_RE.test(data.name)) bad('name', 'use lowercase letters, digits and -, starting and ending with a letter or digit');
    if (!data.duration || !DURATION_RE.test(data.duration)) bad('duration', 'use a duration such as 90m, 2h or 1d');
    if (data.cores && !CORES_RE.test(data.cores.trim())) bad('cores', 'use e.g. 2, 0.5 or 250m (at most 3 decimals: whole millicores)');
    if (data.memory && !/^\d+(Mi|Gi)$/.test(data.memory)) bad('memory', 'use e.g. 256Mi or 1Gi');
    return ok;
  };
  form.addEventListener('input', (ev) => {
    const t = ev.target as HTMLElement;
    const name = t.getAttribute('name');
    if (name && errs[name]) {
      errs[name].textContent = '';
      t.removeAttribute('aria-invalid');
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void submit();
  });
  // `exact` carries a counter-offer's start to the millisecond (the form's field shows minutes).
  const submit = async (exact: Record<string, unknown> = {}) => {
    offersBox.replaceChildren();
    const data = Object.fromEntries(new FormData(form)) as Record<string, string>;
    for (const [k, e] of Object.entries(errs)) {
      e.textContent = '';
      form.querySelector(`[name="${k}"]`)?.removeAttribute('aria-invalid');
    }
    if (!check(data)) return;
    if (!data.start && picked && data.duration === picked.duration) data.duration = durationUntil(picked.end, Date.now());
    const spec: Record<string, unknown> = { image: data.image, duration: data.duration, profile: data.profile };
    if (data.start) spec.start = new Date(data.start).toISOString();
    // Sent as written: a number of cores (0.5) or a millicore string ("250m"); the server checks it.
    if (data.cores) spec.cores = data.cores.trim().endsWith('m') ? data.cores.trim() : Number(data.cores);
    if (data.memory) spec.memory = data.memory;
    Object.assign(spec, exact);
    try {
      await api('POST', '/api/v1/apply', { apiVersion: 'berth/v1', kind: 'Reservation', metadata: { name: data.name }, spec });
      flash(`reservation ${data.name} created`);
      go('#/reservations');
    } catch (err) {
      showError(form, errs, err);
      showCounterOffers(err);
    }
  };
  const set = (name: string, value: string) => {
    const input = form.querySelector<HTMLInputElement>(`[name="${name}"]`);
    if (input) input.value = value;
  };
  const showCounterOffers = (err: unknown) => {
    const offers = err instanceof RequestError ? ((err.error.details?.counterOffers as any) ?? {}) : {};
    const buttons: HTMLElement[] = [];
    const offer = (label: string, apply: () => void, exact: Record<string, unknown> = {}) => {
      const b = h('button', { type: 'button' }, label);
      b.addEventListener('click', () => {
        apply();
        void submit(exact);
      });
      buttons.push(b);
    };
    if (offers.earliestStart) {
      const start = offers.earliestStart.start as string;
      offer(`Start ${when(start)} instead`, () => set('start', localInput(start)), { start });
    }
    if (offers.longestDuration) offer(`Shorten to ${offers.longestDuration.duration}`, () => set('duration', offers.longestDuration.duration));
    if (offers.largestSize) {
      const { cores, memory } = offers.largestSize;
      offer(`Use ${cores} ${cores === 1 ? 'core' : 'cores'} and ${memory}`, () => {
        set('cores', String(cores));
        set('memory', memory);
      });
    }
    if (buttons.length) mount(offersBox, h('p', {}, 'It fits with one change (nothing is held for you):'), h('p', { class: 'row' }, ...buttons));
  };
  mount(
    main,
    h('h1', {}, 'Reserve a service'),
    h('h2', {}, 'Catalog'),
    table(
      ['Image', 'Reference', 'Ports', 'Default size', 'Price'],
      images.map((i) => [
        i.metadata.name,
        h('code', {}, i.spec.ref),
        (i.spec.ports ?? []).map((p: any) => `${p.name}:${p.port}`).join(', '),
        `${i.spec.resources.cores} ${String(i.spec.resources.cores) === '1' ? 'core' : 'cores'}, ${i.spec.resources.memory}`,
        `${money(i.spec.pricePerCoreHour ?? 50)}/core-hour`,
      ]),
    ),
    h('h2', {}, 'New reservation'),
    form,
  );
  loadStrip();
}

export function reservationsView(main: HTMLElement, admin: boolean): () => void {
  const items = new Map<string, any>();
  const body = h('div', {}, h('p', {}, 'Loading…'));
  const banner = endingSoonBanner(extend);
  mount(main, h('h1', {}, admin ? 'All reservations' : 'My reservations'), banner.el, h('p', {}, h('a', { href: '#/reserve' }, 'New reservation')), body);
  const render = () => {
    const now = Date.now();
    const list = [...items.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    banner.update(list, now);
    if (!list.length) return mount(body, h('p', {}, 'No reservations yet.'));
    mount(
      body,
      table(
        ['Name', 'Image', 'Phase', 'Endpoint', 'Time left', 'Cost so far', 'Actions'],
        list.map((r) => {
          const live = !isTerminal(r.status.phase);
          const ep = r.status.endpoints?.[0]?.address as string | undefined;
          return [
            h('span', {}, r.metadata.name, admin && r.metadata.owner ? h('span', { class: 'hint' }, ` (${r.metadata.owner})`) : null),
            r.spec.image,
            pill(r.status.phase),
            ep ? h('button', { class: 'secondary', 'data-endpoint': ep, 'aria-label': `copy endpoint ${ep}`, onclick: () => copy(ep) }, ep) : '—',
            live ? h('span', { 'data-until': r.status.endTime }, duration(Date.parse(r.status.endTime) - now)) : '—',
            money(r.status.cost?.cents ?? 0),
            live
              ? h(
                  'div',
                  { class: 'actions' },
                  h('button', { class: 'secondary', 'aria-label': `extend ${r.metadata.name} by 30 minutes`, onclick: () => extend(r) }, '+30m'),
                  h('button', { class: 'danger', 'aria-label': `delete ${r.metadata.name}`, onclick: () => remove(r.metadata.name) }, 'Delete'),
                )
              : '',
          ];
        }),
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
    },
  );
  // Time left ticks in place: re-rendering the table would swap buttons under the pointer.
  const tick = setInterval(() => {
    body.querySelectorAll<HTMLElement>('[data-until]').forEach((e) => {
      e.textContent = duration(Date.parse(e.dataset.until!) - Date.now());
    });
    banner.update([...items.values()], Date.now());
  }, 1000);
  return () => {
    stop();
    clearInterval(tick);
  };
}

async function copy(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    flash(`copied ${text}`);
  } catch {
    flash(`endpoint: ${text}`);
  }
}

async function remove(name: string): Promise<void> {
  if (!confirm(`Delete reservation ${name}? Its container and data are removed.`)) return;
  try {
    await api('DELETE', `/api/v1/reservations/${encodeURIComponent(name)}`);
    flash(`reservation ${name} deleted`);
  } catch (err) {
    flash((err as Error).message, true);
  }
}

/** Extends by 30 minutes; servers without the extend route get a re-apply with a longer duration. */
async function extend(r: any): Promise<void> {
  const name = r.metadata.name;
  try {
    try {
      await api('POST', `/api/v1/reservations/${encodeURIComponent(name)}/extend`, { by: '30m' });
    } catch (err) {
      // Only a server without the route falls back; a missing reservation is a real error.
      if (!(err instanceof RequestError) || !/^no route/.test(err.error.message)) throw err;
      const ms = Date.parse(r.status.endTime) - Date.parse(r.status.startTime) + 30 * 60_000;
      await api('POST', '/api/v1/apply', {
        apiVersion: 'berth/v1',
        kind: 'Reservation',
        metadata: { name, labels: r.metadata.labels },
        spec: { ...r.spec, duration: `${Math.round(ms / 60_000)}m` },
      });
    }
    flash(`reservation ${name} extended by 30m`);
  } catch (err) {
    flash((err as Error).message, true);
  }
}

export async function billsView(main: HTMLElement): Promise<void> {
  const month = new Date().toISOString().slice(0, 7);
  const input = h('input', { type: 'month', id: 'bill-month', value: month });
  const out = h('div', {});
  const load = async () => {
    try {
      const s = await api<any>('GET', `/api/v1/bill?month=${encodeURIComponent(input.value)}`);
      mount(
        out,
        table(
          ['Reservation', 'Image', 'Cores', 'Hours', 'Rate', 'Amount'],
          (s.lines ?? []).map((l: any) => [l.reservation, l.image, l.cores, l.hours, `${money(l.rateCentsPerCoreHour)}/core-h`, money(l.cents)]),
        ),
        h('p', {}, h('strong', {}, `Total ${s.month}: ${money(s.totalCents ?? 0)}`)),
      );
    } catch (err) {
      mount(out, h('p', { class: 'err' }, (err as Error).message));
    }
  };
  input.addEventListener('change', () => void load());
  mount(main, h('h1', {}, 'My bills'), h('label', { for: 'bill-month' }, 'Month', input), out);
  await load();
}

export { ago };
