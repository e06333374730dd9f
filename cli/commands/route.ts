import type { Command } from 'commander';
import { placement } from '../../lib/placement.ts';
import { SITES } from '../../lib/sites.ts';

/** Task 2b: which server serves a customer, from their city. */
export function registerRoute(program: Command): void {
  program
    .command('route')
    .description('print the site that serves a city, with the distance to every site')
    .argument('<city>', 'a city of Senegal, any case or accents ("Kaolack", "SAINT LOUIS")')
    .option('--json', 'print JSON')
    .action((city: string, opts: { json?: boolean }) => {
      const p = placement(city);
      if (opts.json) {
        console.log(JSON.stringify({ city: p.city, site: SITES[p.site].code, distances: p.distances }, null, 2));
        return;
      }
      console.log(`${p.city} → ${SITES[p.site].code} (${SITES[p.site].warehouse})`);
      for (const d of p.distances) console.log(`  ${SITES[d.site].city.padEnd(12)} ${d.km.toFixed(1).padStart(7)} km`);
    });
}
