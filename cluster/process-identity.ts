/**
 * Which process a recorded pid is. A pid alone is not an identity: after a reboot, or once the
 * process has exited, the kernel hands the same number to another process, and signalling that
 * pid (or its process group) would stop a stranger. The launcher records each process it starts
 * with its start time (boot id and start tick from /proc) and trusts a pid only while both match.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface ProcessRecord {
  readonly pid: number;
  /** Opaque: `<boot id>:<start tick>` from /proc, or `ps`'s start time where there is no /proc. */
  readonly startTime?: string;
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'boot';
  }
}

/** Fields after the command name of /proc/<pid>/stat (the name may hold spaces and parentheses). */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The start time of a live process, or null when there is no such process (or it is a zombie). */
export function processStartTime(pid: number): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (existsSync('/proc/self/stat')) {
    const fields = statFields(pid);
    // field 3 is the state, field 22 the start time in clock ticks since boot
    if (!fields || fields[0] === 'Z' || fields[0] === 'X') return null;
    return `${bootId()}:${fields[19]}`;
  }
  try {
    const started = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return started === '' ? null : `ps:${started}`;
  } catch {
    return null;
  }
}

/** The command line of a live process ('' when unknown). */
export function processCommandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    try {
      return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  }
}

/** The record of a process just started by this one. */
export function recordProcess(pid: number): ProcessRecord {
  return { pid, startTime: processStartTime(pid) ?? undefined };
}

/**
 * Whether the recorded process still runs: the pid is alive and started when the record says.
 * A record without a start time (written by an older launcher) is trusted only if the command
 * line holds `expect`, and never when nothing is expected.
 */
export function isSameProcess(record: ProcessRecord | undefined | null, expect?: string): boolean {
  if (!record) return false;
  const now = processStartTime(record.pid);
  if (now === null) return false;
  if (record.startTime !== undefined) return record.startTime === now;
  return expect !== undefined && processCommandLine(record.pid).includes(expect);
}
