import { describe, expect, it } from 'vitest';
import { lifecycleOf } from './lifecycle.ts';
import { deliveryBody } from './payload.ts';

describe('lifecycleOf', () => {
  it('maps the reconcilers’ reservation events to lifecycle events', () => {
    const of = (reason: string, type: 'Normal' | 'Warning' = 'Normal') => lifecycleOf({ kind: 'Reservation', reason, type });
    expect([
      of('Scheduled'),
      of('Started'),
      of('Expired'),
      of('Deleted'),
      of('Rescheduled', 'Warning'),
      of('NodeLost', 'Warning'),
      of('ImagePullFailed', 'Warning'),
    ]).toEqual(['admitted', 'started', 'ended', 'ended', 'moved', 'failed', 'failed']);
  });

  it('ignores other kinds and reasons that are not lifecycle changes', () => {
    expect(lifecycleOf({ kind: 'Node', reason: 'Registered' })).toBeUndefined();
    expect(lifecycleOf({ kind: 'Reservation', reason: 'Updated' })).toBeUndefined();
    expect(lifecycleOf({ kind: 'Reservation', reason: 'ContainerFailed', type: 'Warning' })).toBeUndefined();
  });
});

describe('deliveryBody', () => {
  it('names the reservation as its owner sees it, with the seconds left for "ending"', () => {
    const now = Date.parse('2030-01-01T11:45:00Z');
    const body = JSON.parse(
      deliveryBody(
        'd1',
        'ending',
        {
          name: 'demo',
          image: 'web',
          phase: 'Running',
          startAt: new Date('2030-01-01T10:00:00Z'),
          endAt: new Date('2030-01-01T12:00:00Z'),
          endpoints: ['203.0.113.7:30001'],
        },
        now,
      ),
    );
    expect(body).toEqual({
      id: 'd1',
      type: 'reservation.ending',
      createdAt: '2030-01-01T11:45:00.000Z',
      data: {
        reservation: {
          name: 'demo',
          image: 'web',
          phase: 'Running',
          start: '2030-01-01T10:00:00.000Z',
          end: '2030-01-01T12:00:00.000Z',
          endpoints: ['203.0.113.7:30001'],
        },
        endsInSeconds: 900,
      },
    });
    expect(JSON.stringify(body)).not.toContain('node');
  });
});
