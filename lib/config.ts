/**
 * Settings every service reads once at start, validated; a missing one fails with its name.
 */
import { readFileSync } from 'node:fs';

export interface ServiceConfig {
  /** Shared secret of the 2PC participant API and other internal calls between services. */
  readonly internalSecret: string;
}

/** The suffix of a setting given as a file's path instead of its value (Docker secrets, compose volumes). */
export const FILE_SUFFIX = '_FILE';

/**
 * A required setting: `NAME` itself, or else the content of the file named by `NAME_FILE` (without
 * its final newline), the convention of Docker secrets. A value set directly wins over the file, so
 * that a deployment's own key replaces the one compose generates.
 */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value) return value;
  const file = env[name + FILE_SUFFIX];
  if (!file) throw new Error(`Missing setting ${name}`);
  let content: string;
  try {
    content = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new Error(`${name}${FILE_SUFFIX}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!content) throw new Error(`Missing setting ${name}: ${file} (${name}${FILE_SUFFIX}) is empty`);
  return content;
}

export function serviceConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const internalSecret = requireEnv('TERANGA_INTERNAL_SECRET', env);
  if (internalSecret.length < 16) throw new Error('TERANGA_INTERNAL_SECRET must be at least 16 characters');
  return Object.freeze({ internalSecret });
}

/** Header carrying the internal secret on service-to-service calls. */
export const INTERNAL_SECRET_HEADER = 'x-teranga-internal-secret';
