import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  COMPOSE_FILE,
  composeServiceName,
  composeYaml,
  hostPortVariable,
  replicationSlotName,
  SECRETS,
} from '../cluster/compose.ts';
import { buildTopology, REPO_ROOT, type NodeService, type PostgresServer } from '../lib/topology.ts';
import { findOnPath } from './support/docker-engine.ts';

interface PortMapping {
  target: number;
  /** `${TERANGA_HOST_PORT_<NAME>:-<default>}` */
  published: string;
  protocol?: string;
}

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: PortMapping[];
  volumes?: string[];
  network_mode?: string;
  healthcheck?: { test: string[] };
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const composePath = path.join(REPO_ROOT, COMPOSE_FILE);
const topology = buildTopology({ network: 'compose' });
const local = buildTopology();
const onDisk = existsSync(composePath) ? readFileSync(composePath, 'utf8') : '';
const compose = (YAML.parse(onDisk, { version: '1.1' }) ?? { services: {} }) as ComposeFile;
const services = compose.services ?? {};

function serviceOf(item: PostgresServer | NodeService): ComposeService {
  const name = composeServiceName(topology, item);
  const service = services[name];
  if (!service) throw new Error(`compose.yaml has no service ${name}`);
  return service;
}

/** The compose service whose network namespace a service uses (itself unless `network_mode: service:…`). */
function networkOwner(name: string): string {
  const mode = services[name]?.network_mode;
  return mode?.startsWith('service:') ? mode.slice('service:'.length) : name;
}

/** `${NAME:-default}` → [NAME, default]; a plain value → [undefined, value]. */
function interpolation(value: string | undefined): [string | undefined, string] {
  const match = /^\$\{([A-Z0-9_]+):-(.*)\}$/.exec(value ?? '');
  return match ? [match[1], match[2]!] : [undefined, value ?? ''];
}

const DEPENDS_ON_CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];

describe('compose.yaml', () => {
  it('is up to date with lib/topology.ts', () => {
    expect(existsSync(composePath), 'compose.yaml is missing: run `npx teranga generate`').toBe(true);
    expect(onDisk, 'compose.yaml is out of date: run `npx teranga generate`').toBe(composeYaml(topology));
  });

  it('has one compose service per server and Node service of the topology, plus migrate, and no other', () => {
    const expected = [
      ...topology.postgres.map((s) => composeServiceName(topology, s)),
      ...topology.services.map((s) => composeServiceName(topology, s)),
      'migrate',
      SECRETS.service,
    ];
    expect(new Set(expected).size).toBe(expected.length);
    expect(Object.keys(services).sort()).toEqual([...expected].sort());
  });

  it('reaches every server and Node service by its topology host', () => {
    for (const item of [...topology.postgres, ...topology.services]) {
      // Compose's DNS resolves service names; a service in another's network namespace answers there.
      expect(networkOwner(composeServiceName(topology, item)), `${item.kind} ${item.name}`).toBe(item.host);
    }
  });

  it('publishes every port on the host port of the local topology, changeable by a variable of its own', () => {
    const items: Array<PostgresServer | NodeService> = [...topology.postgres, ...topology.services];
    for (const item of items) {
      const same =
        item.kind === 'postgres'
          ? local.postgres.find((s) => s.name === item.name)
          : local.services.find((s) => s.name === item.name);
      expect(same, `${item.name} in the local topology`).toBeDefined();
      const owner = services[networkOwner(composeServiceName(topology, item))];
      expect(owner?.ports ?? [], `${item.kind} ${item.name}`).toContainEqual({
        target: item.port,
        published: `\${${hostPortVariable(topology, item)}:-${same!.port}}`,
        protocol: 'tcp',
      });
    }
    const variables = items.map((item) => hostPortVariable(topology, item));
    expect(new Set(variables).size).toBe(variables.length);
  });

  it('runs the PostgreSQL image of TERANGA_PG_IMAGE (default postgres:17) with replication and prepared transactions on every server', () => {
    for (const server of topology.postgres) {
      const service = serviceOf(server);
      expect(interpolation(service.image)).toEqual(['TERANGA_PG_IMAGE', 'postgres:17']);
      const command = (service.command ?? []).join(' ');
      for (const setting of ['wal_level=logical', 'max_prepared_transactions=64', 'max_wal_senders=20']) {
        expect(command, server.name).toContain(`-c ${setting}`);
      }
      expect(service.volumes?.[0], server.name).toMatch(/^[a-z0-9-]+:\/var\/lib\/postgresql$/);
      expect(service.environment?.PGDATA?.startsWith('/var/lib/postgresql/'), server.name).toBe(true);
      expect(service.healthcheck?.test.join(' '), server.name).toContain(
        `pg_isready -h 127.0.0.1 -p ${server.port} -U ${topology.pg.user}`,
      );
    }
  });

  it('streams every standby from its primary, synchronously, through its own slot', () => {
    const standbys = topology.postgres.filter((s) => s.role === 'standby');
    expect(standbys.length).toBeGreaterThan(0);
    for (const standby of standbys) {
      const primary = topology.postgres.find((s) => s.name === standby.upstream)!;
      const service = serviceOf(standby);
      expect(service.depends_on?.[composeServiceName(topology, primary)], standby.name).toEqual({
        condition: 'service_healthy',
      });
      expect(service.environment).toMatchObject({
        PRIMARY_HOST: primary.host,
        PRIMARY_PORT: String(primary.port),
        STANDBY_NAME: standby.name,
        REPLICATION_SLOT: replicationSlotName(standby),
      });
      expect(serviceOf(primary).environment).toMatchObject({
        POSTGRES_USER: topology.pg.user,
        POSTGRES_DB: topology.pg.database,
        REPLICATION_SLOT: replicationSlotName(standby),
        SYNCHRONOUS_STANDBY: standby.name,
      });
    }
  });

  it('migrates once every server is healthy, and starts the subgraphs after it', () => {
    const migrate = services.migrate!;
    expect(migrate.command).toEqual(['npx', 'teranga', 'migrate']);
    expect(migrate.environment?.TERANGA_NETWORK).toBe('compose');
    for (const server of topology.postgres.filter((s) => s.role === 'primary')) {
      expect(migrate.depends_on?.[server.name], server.name).toEqual({ condition: 'service_healthy' });
    }
    for (const service of topology.services) {
      const compose = serviceOf(service);
      expect(compose.command, service.name).toEqual(['node', '--import', 'tsx', service.entry]);
      expect(compose.environment?.TERANGA_NETWORK, service.name).toBe('compose');
      expect(compose.environment?.SITE, service.name).toBe(service.site ?? undefined);
      expect(compose.environment?.TERANGA_SERVICE, service.name).toBe(service.name);
      // The services refuse to start without the internal secret and the public key (lib/config.ts):
      // the environment's own, else the files the secrets service generated, mounted read-only.
      for (const [name, file] of [['TERANGA_INTERNAL_SECRET', SECRETS.internalSecretFile], ['TERANGA_JWT_PUBLIC_KEY', SECRETS.publicKeyFile]] as const) {
        expect(interpolation(compose.environment?.[name]), `${service.name} ${name}`).toEqual([name, '']);
        expect(compose.environment?.[`${name}_FILE`], service.name).toBe(`${SECRETS.dir}/${file}`);
      }
      expect(compose.environment?.TERANGA_JWT_PRIVATE_KEY_FILE, service.name).toBeUndefined();
      expect(compose.volumes, service.name).toEqual([`${SECRETS.volume}:${SECRETS.dir}:ro`]);
      expect(compose.depends_on?.[SECRETS.service], service.name).toEqual({ condition: 'service_completed_successfully' });
      if (service.kind !== 'gateway') {
        expect(compose.depends_on?.migrate, service.name).toEqual({ condition: 'service_completed_successfully' });
      } else {
        expect(Object.keys(compose.depends_on ?? {}).sort()).toEqual(
          [SECRETS.service, ...topology.services.filter((s) => s.kind === 'subgraph').map((s) => composeServiceName(topology, s))].sort(),
        );
        expect(compose.healthcheck?.test.join(' ')).toContain(`http://${service.host}:${service.port}/health`);
      }
    }
  });

  // Runs everywhere, so that the file is checked even where no compose implementation is installed.
  it('passes a structural check of references, volumes, ports and mounted files', () => {
    expect(Object.keys(compose).sort()).toEqual(['services', 'volumes']);
    const declaredVolumes = Object.keys(compose.volumes ?? {});
    const usedVolumes = new Set<string>();
    const published = new Map<number, string>();

    for (const [name, service] of Object.entries(services)) {
      // built services tag one shared image (TERANGA_APP_IMAGE); the others run an image
      expect(service.image, `${name}: an image`).toBeDefined();
      if (service.build) {
        expect(interpolation(service.image), name).toEqual(['TERANGA_APP_IMAGE', 'teranga']);
        expect(existsSync(path.join(REPO_ROOT, service.build.context, service.build.dockerfile ?? 'Dockerfile'))).toBe(
          true,
        );
      }
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services[dependency], `${name} depends on unknown ${dependency}`).toBeDefined();
        expect(DEPENDS_ON_CONDITIONS, `${name} → ${dependency}`).toContain(condition);
      }
      if (service.network_mode !== undefined) {
        expect(service.network_mode, name).toMatch(/^service:/);
        expect(services[networkOwner(name)], `${name} joins an unknown service`).toBeDefined();
        expect(service.ports, `${name}: the namespace owner publishes the ports`).toBeUndefined();
      }
      for (const volume of service.volumes ?? []) {
        const [source = ''] = volume.split(':');
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(path.join(REPO_ROOT, source)), `${name} mounts missing ${source}`).toBe(true);
        } else {
          expect(declaredVolumes, `${name} uses undeclared volume ${source}`).toContain(source);
          usedVolumes.add(source);
        }
      }
      for (const port of service.ports ?? []) {
        const [, hostPort] = interpolation(port.published);
        expect(published.get(Number(hostPort)), `host port ${hostPort} published twice`).toBeUndefined();
        published.set(Number(hostPort), name);
      }
    }
    expect([...usedVolumes].sort()).toEqual([...declaredVolumes].sort());

    // depends_on (with the implicit dependency of network_mode) has no cycle.
    const edges = (name: string) => [
      ...Object.keys(services[name]?.depends_on ?? {}),
      ...(networkOwner(name) !== name ? [networkOwner(name)] : []),
    ];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, trail: string[]): void => {
      if (state.get(name) === 'done') return;
      expect(state.get(name), `dependency cycle: ${[...trail, name].join(' → ')}`).not.toBe('visiting');
      state.set(name, 'visiting');
      for (const next of edges(name)) visit(next, [...trail, name]);
      state.set(name, 'done');
    };
    for (const name of Object.keys(services)) visit(name, []);
  });

  const dockerCompose = findOnPath('docker-compose');
  it.skipIf(!dockerCompose)(
    'is accepted by `docker-compose -f compose.yaml config -q` (needs docker-compose on PATH)',
    () => {
      // Throws, with docker-compose's message on stderr, when the file is invalid.
      execFileSync(dockerCompose!, ['-f', composePath, 'config', '-q'], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      });
    },
    60_000,
  );
});
