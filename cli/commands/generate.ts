import type { Command } from 'commander';
import { REPO_ROOT } from '../../lib/topology.ts';

/** Regenerates the committed files derived from code: seed SQL, compose.yaml, the supergraph. */
export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('regenerate the seed SQL, compose.yaml and schema/supergraph.graphql from their sources')
    .action(async () => {
      const written: string[] = [];
      const { writeSeedMigrations } = await import('../../seed/generate.ts');
      written.push(...(await writeSeedMigrations(REPO_ROOT)));
      const { writeCompose } = await import('../../cluster/compose.ts');
      written.push(await writeCompose(REPO_ROOT));
      const { writeSupergraph } = await import('../../gateway/supergraph.ts');
      written.push(await writeSupergraph(REPO_ROOT));
      for (const file of written) console.log(`wrote ${file}`);
    });
}
