/**
 * Settings every service reads once at start, validated; a missing one fails with its name.
 */
export interface ServiceConfig {
  /** Shared secret of the 2PC participant API and other internal calls between services. */
  readonly internalSecret: string;
}

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`Missing setting ${name}`);
  return value;
}

export function serviceConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const internalSecret = requireEnv('TERANGA_INTERNAL_SECRET', env);
  if (internalSecret.length < 16) throw new Error('TERANGA_INTERNAL_SECRET must be at least 16 characters');
  return Object.freeze({ internalSecret });
}

/** Header carrying the internal secret on service-to-service calls. */
export const INTERNAL_SECRET_HEADER = 'x-teranga-internal-secret';
