import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatCost, formatDescribe, formatList, formatObject, formatTable } from './format.ts';
import { resolveKind } from './kinds.ts';
import { humanDuration, renderTable } from './table.ts';
import type { ApiObject } from './types.ts';

const now = new Date('2026-01-01T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();

const image: ApiObject = {
  apiVersion: 'berth/v1',
  kind: 'Image',
  metadata: { name: 'nginx', uid: 'u1', generation: 1, creationTimestamp: minutesAgo(5) },
  spec: {
    ref: 'registry:5000/nginx:1.25',
    ports: [
      { name: 'http', port: 80 },
      { name: 'https', port: 443 },
    ],
    resources: { cores: 1, memory: 512 },
  },
  status: {},
};

const reservation: ApiObject = {
  apiVersion: 'berth/v1',
  kind: 'Reservation',
  metadata: { name: 'demo', uid: 'u2', labels: { team: 'web' }, generation: 2, creationTimestamp: minutesAgo(90) },
  spec: { image: 'nginx', start: '2026-01-01T11:00:00.000Z', duration: '2h', profile: 'local', cores: 2, memory: 1024 },
  status: {
    phase: 'Running',
    node: 'cn1',
    endpoints: [{ name: 'http', port: 80, address: '203.0.113.1:30001' }],
    conditions: [{ type: 'Ready', status: 'True', reason: 'ContainerRunning', message: 'serving', lastTransitionTime: minutesAgo(3) }],
    observedGeneration: 2,
    startTime: '2026-01-01T11:00:00.000Z',
    endTime: '2026-01-01T13:00:00.000Z',
    cost: { cents: 150, currency: 'USD' },
  },
};

const node = (name: string, ready: boolean, unschedulable: boolean): ApiObject => ({
  apiVersion: 'berth/v1',
  kind: 'Node',
  metadata: { name, creationTimestamp: minutesAgo(60 * 24 * 3) },
  spec: { address: '10.77.0.11', cores: 4, memory: 8192, unschedulable },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

const lines = (text: string) => text.trimEnd().split('\n');

describe('tables', () => {
  it('aligns columns with NAME first and leaves the last column unpadded', () => {
    expect(
      renderTable(
        ['NAME', 'X'],
        [
          ['a', '1'],
          ['longer', '22'],
        ],
      ),
    ).toBe('NAME     X\na        1\nlonger   22\n');
  });

  it('shows images with ports, resources and age', () => {
    expect(lines(formatTable('Image', [image], { now }))).toEqual([
      'NAME    REF                        PORTS               CORES   MEMORY   AGE',
      'nginx   registry:5000/nginx:1.25   http:80,https:443   1       512Mi    5m',
    ]);
  });

  it('shows reservations with phase, node, endpoints and window; wide adds profile, size, cost, age', () => {
    expect(lines(formatTable('Reservation', [reservation], { now }))).toEqual([
      'NAME   IMAGE   PHASE     NODE   ENDPOINTS           START                  END',
      'demo   nginx   Running   cn1    203.0.113.1:30001   2026-01-01T11:00:00Z   2026-01-01T13:00:00Z',
    ]);
    const wide = lines(formatTable('Reservation', [reservation], { now, wide: true }));
    expect(wide[0].split(/\s{2,}/)).toEqual(['NAME', 'IMAGE', 'PHASE', 'NODE', 'ENDPOINTS', 'START', 'END', 'PROFILE', 'CORES', 'MEMORY', 'COST', 'AGE']);
    expect(wide[1].split(/\s{2,}/).slice(7)).toEqual(['local', '2', '1Gi', '$1.50', '90m']);
  });

  it('follows the phase with the reason of a failing container, like kubectl STATUS', () => {
    const at = (phase: string, reason: string) => ({
      ...reservation,
      status: { ...reservation.status, phase, conditions: [{ type: 'Ready', status: 'False', reason }] },
    });
    const phaseOf = (r: unknown) => lines(formatTable('Reservation', [r], { now }))[1].split(/\s{2,}/)[2];
    expect(phaseOf(at('Starting', 'ImagePullFailed'))).toBe('Starting/ImagePullFailed');
    expect(phaseOf(at('Running', 'ContainerFailed'))).toBe('Running/ContainerFailed');
    expect(phaseOf(at('Failed', 'EngineUnavailable'))).toBe('Failed/EngineUnavailable');
    expect(phaseOf(at('Starting', 'ContainerCreating'))).toBe('Starting');
    expect(phaseOf(at('Expired', 'Expired'))).toBe('Expired');
  });

  it('marks a pending reservation without node or endpoints as <none>', () => {
    const pending = { ...reservation, status: { phase: 'Pending', endpoints: [], conditions: [] } };
    expect(lines(formatTable('Reservation', [pending], { now }))[1].split(/\s{2,}/)).toEqual([
      'demo',
      'nginx',
      'Pending',
      '<none>',
      '<none>',
      '2026-01-01T11:00:00Z',
      '<none>',
    ]);
  });

  it('derives node STATUS from the Ready condition and cordoning', () => {
    const rows = lines(formatTable('Node', [node('cn1', true, false), node('cn2', false, true)], { now })).map((l) => l.split(/\s{2,}/));
    expect(rows).toEqual([
      ['NAME', 'STATUS', 'ADDRESS', 'CORES', 'MEMORY', 'AGE'],
      ['cn1', 'Ready', '10.77.0.11', '4', '8Gi', '3d'],
      ['cn2', 'NotReady,SchedulingDisabled', '10.77.0.11', '4', '8Gi', '3d'],
    ]);
  });

  it('prints the reduced node a customer gets (no address) with the same columns', () => {
    const customerView: ApiObject = {
      apiVersion: 'berth/v1',
      kind: 'Node',
      metadata: { name: 'cn1', creationTimestamp: minutesAgo(60) },
      spec: { cores: 4, memory: '8Gi', unschedulable: false },
      status: { conditions: [{ type: 'Ready', status: 'True' }], capacity: { cores: 4, memory: '8Gi' } },
    };
    expect(lines(formatTable('Node', [customerView], { now }))[1].split(/\s{2,}/)).toEqual(['cn1', 'Ready', '<none>', '4', '8Gi', '60m']);
  });

  it('lists events oldest first with the object they concern', () => {
    const events = [
      { type: 'Warning', reason: 'NodeLost', message: 'cn1 stopped reporting', involvedObject: { kind: 'Node', name: 'cn1' }, time: minutesAgo(1) },
      { type: 'Normal', reason: 'Scheduled', message: 'placed on cn1', involvedObject: { kind: 'Reservation', name: 'demo' }, time: minutesAgo(10) },
    ];
    expect(lines(formatTable('Event', events, { now })).map((l) => l.split(/\s{2,}/))).toEqual([
      ['TIME', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
      ['10m', 'Normal', 'Scheduled', 'reservation/demo', 'placed on cn1'],
      ['60s', 'Warning', 'NodeLost', 'node/cn1', 'cn1 stopped reporting'],
    ]);
  });

  it('reads ages the way kubectl does', () => {
    expect([45_000, 150_000, 3_600_000, 5 * 3_600_000 + 60_000, 30 * 3_600_000, 5 * 86_400_000].map(humanDuration)).toEqual([
      '45s',
      '2m30s',
      '60m',
      '5h1m',
      '30h',
      '5d',
    ]);
  });

  it('prints money in dollars, other currencies by code', () => {
    expect(formatCost({ cents: 5, currency: 'USD' })).toBe('$0.05');
    expect(formatCost({ cents: 1234, currency: 'EUR' })).toBe('12.34 EUR');
    expect(formatCost(undefined)).toBe('<none>');
  });
});

describe('structured output', () => {
  const info = resolveKind('res');
  const list = { apiVersion: 'berth/v1', kind: 'ReservationList', items: [reservation] };

  it('prints a list as JSON with apiVersion, kind and items', () => {
    expect(JSON.parse(formatList(info, list, 'json', now))).toEqual(list);
  });

  it('prints a list as YAML with the same shape', () => {
    expect(parse(formatList(info, list, 'yaml', now))).toEqual(list);
  });

  it('prints one object in full', () => {
    expect(JSON.parse(formatObject(info, reservation, 'json', now))).toEqual(reservation);
    expect(parse(formatObject(info, reservation, 'yaml', now))).toEqual(reservation);
  });

  it('prints kind/name per object for -o name', () => {
    expect(formatList(info, list, 'name', now)).toBe('reservation/demo\n');
  });
});

describe('formatDescribe', () => {
  const events = {
    items: [{ type: 'Normal', reason: 'Started', message: 'container up', involvedObject: { kind: 'Reservation', name: 'demo' }, time: minutesAgo(2) }],
  };

  it('shows metadata, spec, status, endpoints, conditions and events in sections', () => {
    const text = formatDescribe(reservation, events, now);
    expect(text).toMatch(/^Name: +demo\nKind: +Reservation\nUID: +u2\nLabels: +team=web\nGeneration: +2\nCreated: +2026-01-01T10:30:00Z \(90m ago\)\n/);
    expect(text).toContain('Spec:\n  image: nginx\n');
    expect(text).toContain('  phase: Running\n');
    expect(text).toContain('  cost: $1.50\n');
    expect(text).toMatch(/Endpoints:\n {2}NAME +PORT +ADDRESS\n {2}http +80 +203\.0\.113\.1:30001\n/);
    expect(text).toMatch(/Conditions:\n {2}TYPE +STATUS +REASON +LAST TRANSITION +MESSAGE\n {2}Ready +True +ContainerRunning +3m ago +serving\n/);
    expect(text).toMatch(/Events:\n {2}AGE +TYPE +REASON +MESSAGE\n {2}2m +Normal +Started +container up\n$/);
    expect(text.indexOf('Spec:')).toBeLessThan(text.indexOf('Status:'));
    expect(text).not.toContain('conditions:');
  });

  it('shows the image ref a reservation runs and says later image edits do not apply to it', () => {
    const admitted = { name: 'nginx', generation: 1, spec: { ref: 'registry:5000/nginx:1.24', env: { MODE: 'old' } } };
    const text = formatDescribe({ ...reservation, status: { ...(reservation.status as object), image: admitted } }, events, now);
    expect(text).toContain(
      'Image:\n  registry:5000/nginx:1.24 (image nginx generation 1, as admitted; later edits of the image apply only to new reservations)\n',
    );
    expect(text).toContain('  env:\n    MODE: old\n');
    expect(text.indexOf('Image:')).toBeGreaterThan(text.indexOf('Status:'));
    expect(text.slice(text.indexOf('Status:'), text.indexOf('Image:'))).not.toContain('nginx:1.24');
  });

  it('says <none> for empty parts and why events are missing', () => {
    const text = formatDescribe({ ...image, status: undefined }, { error: 'server answered HTTP 404' }, now);
    expect(text).toContain('Status: <none>\n');
    expect(text).toContain('Conditions: <none>\n');
    expect(text).toContain('Events: <unavailable: server answered HTTP 404>\n');
    expect(text).not.toContain('Endpoints:');
  });
});
