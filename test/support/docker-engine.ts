/**
 * A Docker engine for the compose test: the one already running (DOCKER_HOST, or the default
 * socket), else a private `dockerd` started here with its own data root, exec root and socket under
 * the test's directory, stopped at the end. Published ports bind to 127.0.0.1 only; the private
 * engine makes no default bridge and no iptables rules, and gives its networks addresses from the
 * benchmarking range (198.18.0.0/15, not routed anywhere), so nothing it runs is reachable from, or
 * reaches, outside this machine.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { alive } from './process-alive.ts';

const run = promisify(execFile);

export function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface DockerEngine {
  /** `unix:///…` */
  readonly host: string;
  /** Started by this process (and stopped by stop()), or one that was already running. */
  readonly private: boolean;
  /** The engine's own log (private engine only). */
  readonly log: string | undefined;
  stop(): Promise<void>;
}

/** Why Docker cannot run here, or undefined when it can. */
export function dockerUnavailableReason(): string | undefined {
  if (!findOnPath('docker')) return 'no docker client on PATH (Debian: apt-get install docker.io)';
  if (!findOnPath('docker-compose')) return 'no docker-compose on PATH (Debian: apt-get install docker-compose)';
  if (process.env.DOCKER_HOST || existsSync('/var/run/docker.sock')) return undefined;
  if (!findOnPath('dockerd')) return 'no Docker engine running and no dockerd to start one (Debian: apt-get install docker.io)';
  if (process.getuid?.() !== 0) return 'no Docker engine running, and starting a private dockerd needs root';
  return undefined;
}

export async function docker(host: string, args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const { stdout } = await run('docker', args, {
    env: { ...process.env, DOCKER_HOST: host },
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

async function answers(host: string): Promise<boolean> {
  try {
    await docker(host, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string, exited?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    const gone = exited?.();
    if (gone) throw new Error(`${what}: ${gone}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The running engine, or a private one under `dir` (which must be short enough for a socket path). */
export async function startDockerEngine(dir: string): Promise<DockerEngine> {
  const existing = process.env.DOCKER_HOST ?? (existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : undefined);
  if (existing && (await answers(existing))) {
    return { host: existing, private: false, log: undefined, stop: async () => {} };
  }

  mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'docker.sock');
  if (socket.length > 100) throw new Error(`socket path too long for a Unix socket: ${socket}`);
  const host = `unix://${socket}`;
  const log = path.join(dir, 'dockerd.log');
  const pidfile = path.join(dir, 'dockerd.pid');
  // a previous run killed before it could stop its engine
  if (existsSync(pidfile)) {
    const pid = Number(readFileSync(pidfile, 'utf8'));
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
        await waitFor(async () => !alive(pid), 30_000, 'stale dockerd');
      } catch {
        // not running
      }
    }
  }
  const out = openSync(log, 'a');
  const child: ChildProcess = spawn(
    'dockerd',
    [
      '--data-root', path.join(dir, 'data'),
      '--exec-root', path.join(dir, 'exec'),
      '--pidfile', pidfile,
      '-H', host,
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
      '--ip', '127.0.0.1',
      '--default-address-pool', 'base=198.18.0.0/16,size=24',
      '--userland-proxy=true',
    ],
    { stdio: ['ignore', out, out], detached: true },
  );
  let exit: string | undefined;
  child.on('exit', (code, signal) => {
    exit = `dockerd exited (${signal ?? code}); see ${log}`;
  });
  child.unref();
  await waitFor(() => answers(host), 60_000, 'private dockerd', () => exit);

  return {
    host,
    private: true,
    log,
    async stop() {
      if (exit || child.pid === undefined) return;
      const pid = child.pid;
      process.kill(pid, 'SIGTERM');
      await waitFor(async () => !alive(pid), 60_000, 'stopping dockerd');
      // the data root holds the containers' layers: nothing of it is kept (images are cached apart);
      // the engine leaves its default network namespace bind-mounted
      await run('umount', [path.join(dir, 'exec', 'netns', 'default')]).catch(() => undefined);
      rmSync(path.join(dir, 'data'), { recursive: true, force: true });
      rmSync(path.join(dir, 'exec'), { recursive: true, force: true });
    },
  };
}
