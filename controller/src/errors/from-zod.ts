// The one conversion from a zod failure to the API's Invalid error (manifests, request bodies).
import type { z } from 'zod';
import { BerthError } from './catalog.ts';

/** One thing wrong with a value: the field (dotted path) and what is wrong with it. */
export interface Problem {
  field?: string;
  message: string;
}

interface Where {
  prefix?: string[];
  subject?: string;
}

/**
 * Every zod issue as a Problem naming its field, unknown fields first: a misspelled field is
 * the cause of the "is required" its right spelling then gets. Never echoes the received value:
 * it may be a password.
 */
export function problemsFromZod(error: z.ZodError, opts: Where = {}): Problem[] {
  const unknown: Problem[] = [];
  const others: Problem[] = [];
  for (const issue of error.issues) {
    const field = [...(opts.prefix ?? []), ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      const at = field ? `${field}.` : '';
      for (const key of issue.keys) unknown.push({ field: `${at}${key}`, message: `unknown field "${at}${key}"` });
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
    if (issue.code === 'invalid_key') message = issue.issues[0]?.message ?? message; // why the key is bad, not only that it is
    const named = field || opts.subject;
    others.push({ ...(field ? { field } : {}), message: named ? `${named}: ${message}` : message });
  }
  return [...unknown.map((p) => withSuggestion(p, others)), ...others];
}

/** `unknown field "spec.duraton"` gains `(did you mean "duration"?)` when a sibling it resembles is missing. */
function withSuggestion(problem: Problem, others: Problem[]): Problem {
  const field = problem.field!;
  const parent = field.slice(0, field.lastIndexOf('.') + 1);
  const key = field.slice(parent.length);
  const missing = others
    .filter((p) => p.field?.startsWith(parent) && p.message.endsWith(': is required'))
    .map((p) => p.field!.slice(parent.length))
    .filter((name) => !name.includes('.') && editDistance(name.toLowerCase(), key.toLowerCase()) <= 2);
  return missing.length ? { ...problem, message: `${problem.message} (did you mean "${missing[0]}"?)` } : problem;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * All problems in one Invalid error: the message lists them in order ("; " between them), `field`
 * is the first one's, and `details.problems` has each with its field when there are several.
 */
export function invalidFromProblems(problems: Problem[]): BerthError {
  const message = problems.length === 1 ? problems[0]!.message : `${problems.length} problems: ${problems.map((p) => p.message).join('; ')}`;
  return new BerthError('Invalid', message, problems[0]?.field, problems.length > 1 ? { problems } : undefined);
}

/** Every zod issue as one BerthError (see problemsFromZod). */
export function invalidFromZod(error: z.ZodError, opts: Where = {}): BerthError {
  return invalidFromProblems(problemsFromZod(error, opts));
}

/** Parses `value` with `schema`, or throws invalidFromZod's error. */
export function parseOrInvalid<T>(schema: z.ZodType<T>, value: unknown, opts: Where = {}): T {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidFromZod(result.error, opts);
  return result.data;
}
