/**
 * The supergraph: the three subgraph SDLs of schema/ composed in-process with
 * @apollo/composition, so no external composition binary is needed.
 *
 * The `regions` subgraph is one logical subgraph served by one process per site; its URL in the
 * supergraph is only a placeholder (the Dakar process), because the site router picks the real
 * process for every request by value.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { buildTopology, regionService, subgraphService, type Topology } from '../lib/topology.ts';

export const SUPERGRAPH_FILE = path.join('schema', 'supergraph.graphql');

export const SUBGRAPH_NAMES = ['products', 'regions', 'orders'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export function subgraphSchemaFile(name: SubgraphName): string {
  return path.join('schema', `${name}.graphql`);
}

/** The URL the supergraph records for a subgraph (for `regions`, a placeholder). */
export function subgraphUrl(topology: Topology, name: SubgraphName): string {
  if (name === 'regions') return regionService(topology, 'dakar').url;
  return subgraphService(topology, name).url;
}

export class CompositionError extends Error {
  constructor(readonly messages: readonly string[]) {
    super(`Supergraph composition failed:\n${messages.map((m) => `  - ${m}`).join('\n')}`);
    this.name = 'CompositionError';
  }
}

/**
 * Composes the supergraph SDL from schema/*.graphql.
 * @throws CompositionError listing every composition error
 */
export async function composeSupergraph(topology: Topology): Promise<string> {
  const services = await Promise.all(
    SUBGRAPH_NAMES.map(async (name) => {
      const file = path.join(topology.root, subgraphSchemaFile(name));
      const sdl = await readFile(file, 'utf8');
      return { name, url: subgraphUrl(topology, name), typeDefs: parse(sdl) };
    }),
  );
  const result = composeServices(services);
  if (result.errors) throw new CompositionError(result.errors.map((e) => e.message));
  return result.supergraphSdl;
}

/**
 * The committed schema/supergraph.graphql, composed against the default local topology so its
 * placeholder URLs do not depend on the ports of whoever generated it.
 */
export async function generatedSupergraph(root: string): Promise<string> {
  const topology = { ...buildTopology(), root };
  return `${await composeSupergraph(topology)}\n`;
}

/** Writes schema/supergraph.graphql; returns the path written. */
export async function writeSupergraph(root: string): Promise<string> {
  const file = path.join(root, SUPERGRAPH_FILE);
  await writeFile(file, await generatedSupergraph(root));
  return file;
}
