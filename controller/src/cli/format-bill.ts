// How `berth bill` prints a statement or the admin overview. Pure.
import { renderTable } from './table.ts';

export interface StatementView {
  user: string;
  month: string;
  lines: { reservation: string; image: string; cores: number; rateCentsPerCoreHour: number; hours: number; cents: number }[];
  totalCents: number;
}

export interface OverviewView {
  month: string;
  customers: { user: string; role: string; reservations: number; hours: number; totalCents: number }[];
  totalCents: number;
}

export const dollars = (cents: number) => `$${(cents / 100).toFixed(2)}`;

export function formatStatement(s: StatementView): string {
  const head = `Statement for ${s.user}, ${s.month} (UTC)\n`;
  if (s.lines.length === 0) return `${head}No billed usage.\nTotal: ${dollars(0)}\n`;
  const rows = s.lines.map((l) => [l.reservation, l.image, String(l.cores), String(l.hours), `${dollars(l.rateCentsPerCoreHour)}/core-h`, dollars(l.cents)]);
  return `${head}${renderTable(['RESERVATION', 'IMAGE', 'CORES', 'HOURS', 'RATE', 'COST'], rows)}Total: ${dollars(s.totalCents)}\n`;
}

export function formatOverview(o: OverviewView): string {
  const head = `All customers, ${o.month} (UTC)\n`;
  const rows = o.customers.map((c) => [c.user, c.role, String(c.reservations), String(c.hours), dollars(c.totalCents)]);
  const table = rows.length ? renderTable(['USER', 'ROLE', 'RESERVATIONS', 'HOURS', 'TOTAL'], rows) : 'No billed usage.\n';
  return `${head}${table}Total: ${dollars(o.totalCents)}\n`;
}
