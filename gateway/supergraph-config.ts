/**
 * Which supergraph the gateway serves and where its subgraphs are, read once from the
 * environment:
 * - `SUPERGRAPH_FILE`: a prebuilt Federation 2 supergraph, composed anywhere; without it the
 *   gateway composes schema/*.graphql against the topology;
 * - `TERANGA_SUBGRAPH_URLS`: `name=url` pairs separated by commas, overriding the URL the
 *   supergraph gives a subgraph (`products=http://products:4001/graphql,orders=…`);
 * - `TERANGA_SHARDED_SUBGRAPH` (default `regions`): the subgraph served by one process per site
 *   and routed by value; every other subgraph is called at its URL as it is.
 */
import { Kind, parse, type ConstDirectiveNode } from 'graphql';

export const DEFAULT_SHARDED_SUBGRAPH = 'regions';

export interface SupergraphSettings {
  readonly file: string | undefined;
  readonly subgraphUrls: Readonly<Record<string, string>>;
  readonly shardedSubgraph: string;
}

export class SupergraphSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SupergraphSettingsError';
  }
}

function checkUrl(setting: string, name: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SupergraphSettingsError(`${setting}: "${url}" for subgraph "${name}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SupergraphSettingsError(`${setting}: the URL of subgraph "${name}" must be http or https, got "${url}"`);
  }
  return url;
}

/** `name=url,name=url` as a frozen record. @throws SupergraphSettingsError on a malformed pair */
export function parseSubgraphUrls(text: string | undefined, setting = 'TERANGA_SUBGRAPH_URLS'): Readonly<Record<string, string>> {
  const urls: Record<string, string> = {};
  for (const pair of (text ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    if (at <= 0 || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
      throw new SupergraphSettingsError(`${setting}: expected name=url pairs separated by commas, got "${pair}"`);
    }
    if (urls[name]) throw new SupergraphSettingsError(`${setting}: subgraph "${name}" is given twice`);
    urls[name] = checkUrl(setting, name, pair.slice(at + 1).trim());
  }
  return Object.freeze(urls);
}

export function supergraphSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SupergraphSettings {
  const sharded = env.TERANGA_SHARDED_SUBGRAPH?.trim() || DEFAULT_SHARDED_SUBGRAPH;
  return Object.freeze({
    file: env.SUPERGRAPH_FILE || undefined,
    subgraphUrls: parseSubgraphUrls(env.TERANGA_SUBGRAPH_URLS),
    shardedSubgraph: sharded,
  });
}

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

/** The subgraphs a supergraph names, with the URL it gives each (`@join__graph(name:, url:)`). */
export function supergraphSubgraphs(supergraphSdl: string): Map<string, string | undefined> {
  const graphs = new Map<string, string | undefined>();
  for (const definition of parse(supergraphSdl).definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const join = value.directives?.find((d) => d.name.value === 'join__graph');
      const name = join && stringArgument(join, 'name');
      if (name) graphs.set(name, stringArgument(join, 'url') || undefined);
    }
  }
  return graphs;
}

/**
 * The URL of every subgraph but the sharded one: the mapping's, else the supergraph's.
 * @throws SupergraphSettingsError for a mapping naming a subgraph the supergraph does not have,
 *   or a subgraph left without a URL
 */
export function resolveSubgraphUrls(
  supergraphSdl: string,
  mapping: Readonly<Record<string, string>>,
  shardedSubgraph: string,
): Map<string, string> {
  const graphs = supergraphSubgraphs(supergraphSdl);
  if (graphs.size === 0) throw new SupergraphSettingsError('The supergraph names no subgraph (no join__Graph enum): is it a Federation 2 supergraph?');
  for (const name of Object.keys(mapping)) {
    if (!graphs.has(name)) {
      throw new SupergraphSettingsError(`TERANGA_SUBGRAPH_URLS names subgraph "${name}", which the supergraph does not have (it has ${[...graphs.keys()].join(', ')})`);
    }
  }
  const urls = new Map<string, string>();
  for (const [name, url] of graphs) {
    if (name === shardedSubgraph) continue;
    const chosen = mapping[name] ?? url;
    if (!chosen) throw new SupergraphSettingsError(`Subgraph "${name}" has no URL in the supergraph: give one in TERANGA_SUBGRAPH_URLS`);
    urls.set(name, chosen);
  }
  return urls;
}
