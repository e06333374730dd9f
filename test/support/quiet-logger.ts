/**
 * A logger for servers a suite starts in-process: warnings and errors only, so the test output
 * stays readable. (Not an environment variable: the cluster's services, which a suite may restart,
 * would inherit it and stop writing the request lines other suites read.)
 */
import { createLogger, type Logger } from '../../lib/service/logger.ts';

export const quietLogger = (service: string): Logger => createLogger(service, { level: 'warn' });
