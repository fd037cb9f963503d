// Calendar feed tokens: 40 random characters [a-z0-9] (about 206 bits) in the feed URL. Only
// their SHA-256 is stored; a token grants reading one user's feed and nothing else.
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const LENGTH = 40;
export const FEED_TOKEN = /^[a-z0-9]{40}$/;

export function newFeedToken(): string {
  // 252 is the largest multiple of 36 below 256: rejecting bytes above it keeps characters equally likely.
  let out = '';
  while (out.length < LENGTH) {
    for (const b of randomBytes(LENGTH * 2)) if (b < 252 && out.length < LENGTH) out += ALPHABET[b % 36];
  }
  return out;
}

export const hashFeedToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export const feedPath = (token: string): string => `/api/v1/calendar/${token}.ics`;
