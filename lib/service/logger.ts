/**
 * Structured JSON logs (pino) for every service: one line per event, with the service name and,
 * inside a request, its request id.
 *
 * Nothing secret reaches a line: known fields (authorization headers, secrets, passwords, tokens,
 * emails) are redacted by path, and every finished line is scrubbed once more of anything that
 * looks like a token, a bearer credential, a PEM key or an email address, and of the secret
 * values this process was given, wherever they hide (an error message, a URL, a nested object).
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { currentRequestId } from './request-context.ts';
import { requireEnv } from '../config.ts';

export type { Logger } from 'pino';

const REDACTED_PATHS = [
  'authorization',
  'password',
  'secret',
  'token',
  'email',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.email',
  'headers["x-teranga-internal-secret"]',
  '*.headers.authorization',
  '*.headers["x-teranga-internal-secret"]',
  '*.headers.cookie',
];

/** Settings whose values must never be printed, whatever field they end up in. */
const SECRET_SETTINGS = ['TERANGA_INTERNAL_SECRET', 'TERANGA_JWT_PRIVATE_KEY'];

const JWT = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;
const BEARER = /\b(Bearer)\s+[^\s"',;]+/gi;
const PEM = /-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g;
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g;

/** A log line with credentials removed and email addresses masked (`a***@example.com`). */
export function scrubLogLine(line: string, secrets: readonly string[] = []): string {
  let out = line;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('[secret]');
  return out.replace(PEM, '[key]').replace(JWT, '[token]').replace(BEARER, '$1 [redacted]').replace(EMAIL, '$1***@$2');
}

function scrubbing(inner: DestinationStream, secrets: readonly string[]): DestinationStream {
  return { write: (line: string) => inner.write(scrubLogLine(line, secrets)) };
}

export interface LoggerOptions {
  /** Where lines go (default: stdout, written synchronously so a stopping process loses none). */
  readonly destination?: DestinationStream;
  /** Default `TERANGA_LOG_LEVEL`, else `info`. */
  readonly level?: string;
  /** More values to scrub, besides the secret settings of the environment. */
  readonly secrets?: readonly string[];
}

/** A secret setting's value, given directly or as a file (`NAME_FILE`); undefined when unset or unreadable. */
function secretSetting(name: string): string | undefined {
  try {
    return requireEnv(name);
  } catch {
    return undefined;
  }
}

export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const secrets = [
    ...SECRET_SETTINGS.map(secretSetting).filter((v): v is string => typeof v === 'string'),
    ...(options.secrets ?? []),
  ];
  return pino(
    {
      base: { service },
      level: options.level ?? process.env.TERANGA_LOG_LEVEL ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin: () => {
        const requestId = currentRequestId();
        return requestId ? { requestId } : {};
      },
    },
    scrubbing(options.destination ?? pino.destination({ dest: 1, sync: true }), secrets),
  );
}
