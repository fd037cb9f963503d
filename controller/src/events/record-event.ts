import type { PrismaClient as Db } from '../store/index.ts';

export interface EventInput {
  type?: 'Normal' | 'Warning';
  kind: string;
  objectId: string;
  objectName: string;
  reason: string;
  message: string;
}

export async function recordEvent(db: Db, e: EventInput): Promise<void> {
  await db.event.create({ data: { type: e.type ?? 'Normal', ...e } });
}
