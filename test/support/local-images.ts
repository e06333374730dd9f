/**
 * The images compose.yaml needs, where the real ones (the official `postgres` and `node` images)
 * cannot be pulled: built here from Debian's packages, from the mirror apt is configured with.
 * - base: `debootstrap --variant=minbase bookworm`;
 * - PostgreSQL: the same with Debian's postgresql-15 and gosu, and test/compose/postgres-entrypoint.sh
 *   as the official image's `docker-entrypoint.sh`;
 * - Node: the base with this machine's Node binary, npm and CA bundle, and a `node` user (uid 1000).
 * Each root filesystem is kept as a tarball in the user's cache directory (the same for every clone
 * on the machine), named after what went into it, and imported into the engine at every run.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { docker } from './docker-engine.ts';

const run = promisify(execFile);

const SUITE = 'bookworm';
const PG_MAJOR = 15;
const ENTRYPOINT = path.resolve(import.meta.dirname, '../compose/postgres-entrypoint.sh');
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const PATH_DEFAULT = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface LocalImages {
  readonly postgres: string;
  readonly node: string;
  /** What was built, imported or pulled, for the test's log. */
  readonly notes: readonly string[];
}

/** The Debian mirror of apt's configuration (deb822 .sources files, then one-line sources.list). */
export function aptMirror(root = '/etc/apt'): string {
  const files = [path.join(root, 'sources.list'), ...listDir(path.join(root, 'sources.list.d')).map((f) => path.join(root, 'sources.list.d', f))];
  const candidates: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
        if (field('Enabled')[0]?.toLowerCase() === 'no') continue;
        if (!field('Types').includes('deb') || !field('Suites').includes(SUITE)) continue;
        candidates.push(...field('URIs'));
      }
    } else if (file.endsWith('.list')) {
      for (const line of text.split('\n')) {
        const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (match && match[2] === SUITE) candidates.push(match[1]!);
      }
    }
  }
  const mirror = candidates.find((uri) => /^https?:\/\//.test(uri));
  if (!mirror) throw new Error(`no Debian mirror for ${SUITE} in ${root}/sources.list*`);
  return mirror.replace(/\/$/, '');
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'teranga', 'compose-images');
}

const digest = (...parts: (string | Buffer)[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 12);
};

async function sh(command: string, args: string[], timeoutMs = 600_000): Promise<void> {
  await run(command, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
}

async function debootstrap(target: string, mirror: string, include: string[]): Promise<void> {
  rmSync(target, { recursive: true, force: true });
  const args = ['--variant=minbase', ...(include.length ? [`--include=${include.join(',')}`] : []), SUITE, target, mirror];
  await sh('debootstrap', args);
  // what an image does without: downloaded packages, documentation, package lists
  for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/info']) {
    for (const entry of listDir(path.join(target, dir))) {
      if (entry === 'partial' || entry === 'lock') continue;
      rmSync(path.join(target, dir, entry), { recursive: true, force: true });
    }
  }
}

/** A root filesystem as a cached tarball: made by `build` into a directory once, reused afterwards. */
async function cachedRootfs(name: string, work: string, build: (rootfs: string) => Promise<void>): Promise<{ tarball: string; built: boolean }> {
  const tarball = path.join(cacheDir(), `${name}.tar`);
  if (existsSync(tarball)) return { tarball, built: false };
  mkdirSync(cacheDir(), { recursive: true });
  const rootfs = path.join(work, name);
  await build(rootfs);
  const partial = `${tarball}.partial`;
  await sh('tar', ['--numeric-owner', '-C', rootfs, '-cf', partial, '.']);
  renameSync(partial, tarball);
  rmSync(rootfs, { recursive: true, force: true });
  return { tarball, built: true };
}

async function importImage(host: string, tarball: string, tag: string, changes: string[]): Promise<void> {
  const args = ['import', ...changes.flatMap((c) => ['--change', c]), '-', tag];
  await new Promise<void>((resolve, reject) => {
    const child = spawn('docker', args, { env: { ...process.env, DOCKER_HOST: host }, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker import ${tag}: ${stderr.trim()}`))));
    // a refused import closes its input early: its error says why, not the broken pipe
    child.stdin.on('error', () => {});
    createReadStream(tarball).pipe(child.stdin);
  });
}

async function buildFromStdin(host: string, dockerfile: string, context: string, tag: string): Promise<void> {
  const file = path.join(os.tmpdir(), `teranga-${process.pid}-${tag.replace(/\W/g, '_')}.Dockerfile`);
  writeFileSync(file, dockerfile + '\n');
  try {
    await docker(host, ['build', '-q', '--network', 'none', '-f', file, '-t', tag, context], { timeoutMs: 300_000 });
  } finally {
    rmSync(file, { force: true });
  }
}

const savedFile = (tag: string) => path.join(cacheDir(), `${tag.replace(/[^\w.-]+/g, '_')}.image.tar`);

/** `docker save` into the cache, whole or not at all. */
export async function saveImage(host: string, tag: string, file = savedFile(tag)): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  await docker(host, ['save', '-o', `${file}.partial`, tag], { timeoutMs: 300_000 });
  renameSync(`${file}.partial`, file);
}

/** `docker load` from the cache; false when it holds no such image. */
export async function loadSaved(host: string, tag: string, file = savedFile(tag)): Promise<boolean> {
  if (!existsSync(file)) return false;
  await docker(host, ['load', '-q', '-i', file], { timeoutMs: 300_000 });
  return hasImage(host, tag);
}

/**
 * The image of the Dockerfile, built on the host's network (its `npm ci` reaches the registry). Its
 * layers are cached per lock file and base image: a later run loads them and rebuilds only what
 * changed (the application's files), instead of installing every package again.
 */
export async function appImage(host: string, root: string, nodeImage: string, tag: string): Promise<string> {
  const key = digest(readFileSync(path.join(root, 'package.json')), readFileSync(path.join(root, 'package-lock.json')), readFileSync(path.join(root, 'Dockerfile')), nodeImage);
  const cached = path.join(cacheDir(), `app-${key}.image.tar`);
  const loaded = await loadSaved(host, tag, cached).catch(() => false);
  await docker(host, ['build', '-q', '--network', 'host', '--build-arg', `NODE_IMAGE=${nodeImage}`, ...(loaded ? ['--cache-from', tag] : []), '-t', tag, root], { timeoutMs: 900_000 });
  if (!loaded) await saveImage(host, tag, cached);
  return loaded ? 'dependencies from the cache' : 'built, dependencies cached';
}

async function hasImage(host: string, tag: string): Promise<boolean> {
  try {
    await docker(host, ['image', 'inspect', tag], { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}

async function pulled(host: string, image: string): Promise<boolean> {
  if (await hasImage(host, image)) return true;
  try {
    await docker(host, ['pull', '-q', image], { timeoutMs: 30_000 });
    return true;
  } catch {
    return false;
  }
}

function nodeUser(rootfs: string): void {
  const append = (file: string, line: string) => {
    const full = path.join(rootfs, file);
    const text = readFileSync(full, 'utf8');
    if (!text.split('\n').some((l) => l.startsWith('node:'))) writeFileSync(full, text + (text.endsWith('\n') ? '' : '\n') + line + '\n');
  };
  append('etc/passwd', 'node:x:1000:1000::/home/node:/bin/bash');
  append('etc/group', 'node:x:1000:');
  append('etc/shadow', 'node:*:19000:0:99999:7:::');
  mkdirSync(path.join(rootfs, 'home/node'), { recursive: true });
}

/**
 * The PostgreSQL and Node images for the test: the official ones when the engine has them or can
 * pull them, else local builds (see the module comment).
 */
export async function localImages(host: string, work: string): Promise<LocalImages> {
  const notes: string[] = [];
  const official = { postgres: 'postgres:17', node: 'node:20-bookworm-slim' };
  if (process.env.TERANGA_COMPOSE_TEST_PULL !== '0' && (await pulled(host, official.postgres)) && (await pulled(host, official.node))) {
    return { ...official, notes: ['official images'] };
  }

  const mirror = aptMirror();
  const nodeBinary = process.execPath;
  const npmDir = path.resolve(path.dirname(nodeBinary), '../lib/node_modules/npm');
  const entrypoint = readFileSync(ENTRYPOINT);

  const pgRootfs = `postgres-${PG_MAJOR}-rootfs-${digest(SUITE, mirror, String(PG_MAJOR))}`;
  const pgName = `postgres-${PG_MAJOR}-${digest(pgRootfs, entrypoint)}`;
  const nodeName = `node-${process.versions.node}-${digest(SUITE, mirror, readFileSync(nodeBinary).subarray(0, 1 << 20), readFileSync(CA_BUNDLE), existsSync(npmDir) ? readFileSync(path.join(npmDir, 'package.json')) : '')}`;
  const tags = { postgres: `teranga-local/${pgName}`, node: `teranga-local/${nodeName}` };

  const [pg, node] = await Promise.all([
    hasImage(host, tags.postgres).then(async (present) => {
      if (present) return notes.push(`${tags.postgres}: present`);
      if (await loadSaved(host, tags.postgres)) return notes.push(`${tags.postgres}: from the cache`);
      const { tarball, built } = await cachedRootfs(pgRootfs, work, async (rootfs) => {
        await debootstrap(rootfs, mirror, [`postgresql-${PG_MAJOR}`, 'gosu']);
        // the package's own cluster: the image initialises PGDATA itself
        rmSync(path.join(rootfs, `etc/postgresql/${PG_MAJOR}`), { recursive: true, force: true });
        rmSync(path.join(rootfs, `var/lib/postgresql/${PG_MAJOR}`), { recursive: true, force: true });
      });
      const base = `teranga-local/${pgRootfs}`;
      await importImage(host, tarball, base, []);
      // the entrypoint is a file of the repository: added by a build, so that changing it rebuilds no root filesystem
      const dockerfile = [
        `FROM ${base}`,
        'RUN mkdir -p /docker-entrypoint-initdb.d',
        `COPY ${path.basename(ENTRYPOINT)} /usr/local/bin/docker-entrypoint.sh`,
        `ENV PATH=/usr/lib/postgresql/${PG_MAJOR}/bin:${PATH_DEFAULT} PGDATA=/var/lib/postgresql/data`,
        'STOPSIGNAL SIGINT',
        'ENTRYPOINT ["docker-entrypoint.sh"]',
        'CMD ["postgres"]',
      ].join('\n');
      await buildFromStdin(host, dockerfile, path.dirname(ENTRYPOINT), tags.postgres);
      await saveImage(host, tags.postgres);
      return notes.push(`${tags.postgres}: ${built ? 'built with debootstrap from ' + mirror : 'from the cache'}`);
    }),
    hasImage(host, tags.node).then(async (present) => {
      if (present) return notes.push(`${tags.node}: present`);
      if (await loadSaved(host, tags.node)) return notes.push(`${tags.node}: from the cache`);
      const { tarball, built } = await cachedRootfs(nodeName, work, async (rootfs) => {
        await debootstrap(rootfs, mirror, []);
        copyFileSync(nodeBinary, path.join(rootfs, 'usr/local/bin/node'));
        await sh('chmod', ['0755', path.join(rootfs, 'usr/local/bin/node')]);
        cpSync(npmDir, path.join(rootfs, 'usr/local/lib/node_modules/npm'), { recursive: true });
        for (const [bin, target] of [['npm', 'npm-cli.js'], ['npx', 'npx-cli.js']] as const) {
          await sh('ln', ['-sf', `../lib/node_modules/npm/bin/${target}`, path.join(rootfs, 'usr/local/bin', bin)]);
        }
        mkdirSync(path.join(rootfs, 'etc/ssl/certs'), { recursive: true });
        copyFileSync(CA_BUNDLE, path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'));
        nodeUser(rootfs);
        await sh('chown', ['1000:1000', path.join(rootfs, 'home/node')]);
      });
      await importImage(host, tarball, tags.node, [`ENV PATH=${PATH_DEFAULT}`, 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt', 'CMD ["node"]']);
      // saved and loaded afterwards rather than imported again: the same image id every run, so the
      // app image's layers built on it can be reused (see appImage)
      await saveImage(host, tags.node);
      return notes.push(`${tags.node}: ${built ? 'built with debootstrap from ' + mirror : 'from the cache'}`);
    }),
  ]);
  void pg;
  void node;
  return { ...tags, notes };
}
