/**
 * Checks the internal secret that services present to each other (constant-time comparison).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { INTERNAL_SECRET_HEADER } from '../config.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function isInternalCaller(headers: Record<string, string | string[] | undefined>, secret: string): boolean {
  const presented = headers[INTERNAL_SECRET_HEADER];
  if (typeof presented !== 'string') return false;
  return timingSafeEqual(digest(presented), digest(secret));
}
