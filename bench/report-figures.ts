/**
 * Writes the figures of the recorded run (docs/benchmarks-run.json, from
 * `npm run bench -- --record docs/benchmarks-run.md`) into the marked blocks of docs/*.md:
 *
 *   <!-- figure:KEY -->0,28×<!-- /figure -->            the value with its unit, French format
 *   <!-- figure:KEY bare -->0,28<!-- /figure -->        the value alone
 *   <!-- figure:KEY pct -->64,6 %<!-- /figure -->       a rate (0–1) as a percentage
 *   <!-- verdict:KEY >= 0.5 -->manquée<!-- /verdict --> « atteinte » or « manquée », from value vs target
 *   <!-- run:id -->…<!-- /run -->                       commit and date of the run
 *   <!-- run:summary -->…<!-- /run -->                  command, commit, date, machine, load
 *   <!-- table:NAME -->…<!-- /table -->                 a table built from several figures (TABLES)
 *
 *   npm run report:figures             rewrite the blocks
 *   npm run report:figures -- --check  exit 1, naming the blocks, if a block differs from the run
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { meets, type Figure, type FigureValue, type RecordedRun, type Target } from './figures.ts';

export const RUN_FILE = 'docs/benchmarks-run.json';

/** French number format: decimal comma, a space between thousands (« 1 438 », « 0,28 »). */
export function frenchNumber(value: number, digits: number): string {
  const fixed = Math.abs(value).toFixed(digits);
  const [whole, decimals] = fixed.split('.') as [string, string | undefined];
  const grouped = whole.length > 3 ? whole.replace(/\B(?=(\d{3})+(?!\d))/g, ' ') : whole;
  const sign = value < 0 && Number(fixed) !== 0 ? '−' : '';
  return `${sign}${grouped}${decimals ? `,${decimals}` : ''}`;
}

export function formatValue(value: FigureValue, digits: number): string {
  if (typeof value === 'boolean') return value ? 'oui' : 'non';
  if (typeof value === 'string') return value;
  return frenchNumber(value, digits);
}

export function formatFigure(f: Figure, bare = false): string {
  const v = formatValue(f.value, f.digits);
  if (bare || !f.unit || typeof f.value !== 'number') return v;
  // French sets units apart with a space, but not the multiplication sign of a ratio
  return f.unit === '×' ? `${v}×` : `${v} ${f.unit}`;
}

const FRENCH_MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];

export function frenchDate(iso: string): string {
  const d = new Date(iso);
  const hm = `${d.getUTCHours()} h ${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${d.getUTCDate()} ${FRENCH_MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${hm} UTC`;
}

export function runId(run: RecordedRun): string {
  return `commit \`${run.run.commit}\`${run.run.dirty ? ' (modifications non validées)' : ''}, ${frenchDate(run.run.date)}`;
}

function runSummary(run: RecordedRun): string {
  const r = run.run;
  const load = (l: readonly number[]) => l.map((x) => frenchNumber(x, 1)).join(' / ');
  return (
    `\`${r.command}\`, ${runId(run)} ; ${r.quick ? 'passage court (`--quick`)' : 'passage complet'}, ` +
    `${frenchNumber(r.seconds / 60, 1)} min ; machine : ${r.machine} ; charge moyenne (1 / 5 / 15 min) ${load(r.loadStart)} au début, ${load(r.loadEnd)} à la fin`
  );
}

function need(run: RecordedRun, key: string): Figure {
  const f = run.figures[key];
  if (!f) throw new Error(`figure "${key}" is not in the recorded run (${run.run.id}): run its bench section, or drop the block`);
  return f;
}

export function parseTarget(text: string): Target {
  const m = /^(<=|>=|==)\s*(\S+)$/.exec(text.trim());
  if (!m) throw new Error(`verdict target "${text}" is not "<= N", ">= N" or "== V"`);
  const raw = m[2]!;
  const value: FigureValue = raw === 'true' ? true : raw === 'false' ? false : Number.isNaN(Number(raw)) ? raw : Number(raw);
  return { op: m[1] as Target['op'], value };
}

const STRATEGIES = ['locking', 'timestamp', 'none'] as const;

/**
 * Tables whose rows come from the run itself (how many seeds, which modes), in the docs' French.
 * A new table: a function of the run returning markdown lines, named `section` or `section.what`.
 */
export const TABLES: Record<string, (run: RecordedRun) => string[]> = {
  /** The concurrency strategies over several seeds: mean and spread (min–max) per strategy and K. */
  contention(run) {
    const has = (k: string) => k in run.figures;
    const levels = [...new Set(Object.keys(run.figures).flatMap((k) => /^contention\.[a-z]+\.k(\d+)\.committed_per_s\.mean$/.exec(k)?.[1] ?? []))]
      .map(Number)
      .sort((a, b) => a - b);
    const seeds = need(run, 'contention.seeds').value;
    const lines = [
      `| stratégie | K | validées (sur ${formatValue(need(run, 'contention.orders').value, 0)}) | validées/s | refusées | p50 | p99 | sérialisable, stock conservé (${formatValue(seeds, 0)} graines) |`,
      '|---|---|---|---|---|---|---|---|',
    ];
    const spread = (base: string, pct = false) => {
      const mean = need(run, `${base}.mean`);
      const lo = need(run, `${base}.min`);
      const hi = need(run, `${base}.max`);
      const scale = (f: Figure) => (pct && typeof f.value === 'number' ? { ...f, value: 100 * f.value, digits: 1 } : f);
      const unit = pct ? ' %' : mean.unit ? (mean.unit === '×' ? '×' : ` ${mean.unit}`) : '';
      return `${formatFigure(scale(mean), true)}${unit} (${formatFigure(scale(lo), true)}–${formatFigure(scale(hi), true)})`;
    };
    for (const strategy of STRATEGIES) {
      for (const k of levels) {
        const base = `contention.${strategy}.k${k}`;
        if (!has(`${base}.committed_per_s.mean`)) continue;
        const safe = need(run, `${base}.serializable_all`).value && need(run, `${base}.violations_total`).value === 0;
        lines.push(
          `| \`${strategy}\` | ${k} | ${spread(`${base}.committed`)} | ${spread(`${base}.committed_per_s`)} | ` +
            `${strategy === 'none' ? '—' : spread(`${base}.abort_rate`, true)} | ${spread(`${base}.p50`)} | ${spread(`${base}.p99`)} | ` +
            `${safe ? 'oui, à chaque graine' : `**non** (${formatValue(need(run, `${base}.violations_total`).value, 0)} violations en tout)`} |`,
        );
      }
    }
    return lines;
  },

  /** Section 7: each city's customer at their site's gateway against the single node in Dakar. */
  geo(run) {
    const f = (key: string) => formatFigure(need(run, key), true);
    const lines = [
      '| client (site) | opération | réparti p50 / p99 (ms) | allers-retours WAN = ms de WAN | centralisé p50 / p99 (ms) | allers-retours WAN = ms de WAN | rapport | gain (ms) | cible |',
      '|---|---|---:|---:|---:|---:|---:|---:|---|',
    ];
    const trips = (base: string) => {
      const access = Number(need(run, `${base}.access_rt`).value);
      return `${f(`${base}.rt`)}${access ? ` (${f(`${base}.access_rt`)} accès)` : ''} = ${f(`${base}.wan_ms`)} ms`;
    };
    const verdict = (key: string) => (need(run, key).value === true ? 'atteinte' : 'manquée');
    for (const city of placesOf(run, 'geo', 'city', 'rtt_dakar')) {
      for (const [op, label] of GEO_OPERATIONS) {
        const base = `geo.${city}.${op}`;
        if (!(`${base}.p50` in run.figures)) continue;
        const kind = need(run, `${base}.target`).value;
        const gain = Number(need(run, `${base}.gain_ms`).value);
        const judged = () => `${verdict(`${base}.met`)} (temps WAN : ${verdict(`${base}.floor_met`)})`;
        const target =
          kind === 'gain' ? `gain ≥ ${f(`${base}.limit_ms`)} ms : ${judged()}`
          : kind === 'bound' ? `≤ centralisé + ${f(`${base}.limit_ms`)} ms : ${judged()}`
          : gain < 0 ? `pas de cible ; perd ${frenchNumber(-gain, 1)} ms` : 'pas de cible';
        lines.push(
          `| ${need(run, `geo.${city}.city`).value} (${need(run, `geo.${city}.site`).value}) | ${label} | ${f(`${base}.p50`)} / ${f(`${base}.p99`)} | ${trips(base)} | ` +
            `${f(`${base}.central.p50`)} / ${f(`${base}.central.p99`)} | ${trips(`${base}.central`)} | ${f(`${base}.ratio`)}× | ${f(`${base}.gain_ms`)} | ${target} |`,
        );
      }
    }
    return lines;
  },

  /** Section 8: a commit at a primary in Dakar, its synchronous standby in each city in turn. */
  'standby-placement'(run) {
    const f = (key: string) => formatFigure(need(run, key), true);
    const lines = ['| secours synchrone (primaire à Dakar) | RTT | validation p50 | p99 | surcoût p50 |', '|---|---:|---:|---:|---:|'];
    for (const place of placesOf(run, 'standby-placement', 'city', 'rtt')) {
      const base = `standby-placement.${place}`;
      const same = Number(need(run, `${base}.rtt`).value) === 0;
      lines.push(
        `| à ${need(run, `${base}.city`).value} (${same ? 'même ville : ZONE' : 'autre ville : REGION'}) | ${f(`${base}.rtt`)} ms | ${f(`${base}.commit.p50`)} ms | ${f(`${base}.commit.p99`)} ms | ` +
          `${`${base}.extra_ms` in run.figures ? `${Number(need(run, `${base}.extra_ms`).value) < 0 ? '' : '+ '}${f(`${base}.extra_ms`)} ms` : '—'} |`,
      );
    }
    return lines;
  },
};

/** The geography table's operations, in the order measured, as the docs name them. */
const GEO_OPERATIONS: readonly [string, string][] = [
  ['catalog', 'catalogue'],
  ['profile', 'profil'],
  ['one-site-order', 'commande sur un site'],
  ['three-site-order', 'commande sur trois sites'],
];

/** Cities (or standby places) of a section's figures, nearest Dakar first, as `prefix.<city>.<field>` names them. */
function placesOf(run: RecordedRun, prefix: string, field: string, rtt: string): string[] {
  const pattern = new RegExp(`^${prefix}\\.([a-z0-9-]+)\\.${field}$`);
  const places = Object.keys(run.figures).flatMap((k) => pattern.exec(k)?.[1] ?? []);
  const rttOf = (p: string) => Number(need(run, `${prefix}.${p}.${rtt}`).value);
  return places.sort((a, b) => rttOf(a) - rttOf(b) || a.localeCompare(b));
}

// keys are lower case: a comment such as `<!-- run:begin … -->` or prose naming a marker is no block
const BLOCK = /<!-- (figure|verdict|run|table):((?<=run:)(?:id|summary)|(?<!run:)[a-z0-9][a-z0-9._-]*)((?:\s+(?:(?!-->)[^\n])*?)?)\s*-->([\s\S]*?)<!-- \/(figure|verdict|run|table) -->/g;

const OPENING = /<!-- (?:(?:figure|verdict|table):[a-z0-9][a-z0-9._-]*|run:(?:id|summary))[\s-]/g;

export interface BlockRef {
  readonly kind: string;
  readonly key: string;
  readonly current: string;
  readonly expected: string;
}

/** The text of `doc` with every marked block rewritten from `run`, and the blocks found. */
export function render(doc: string, run: RecordedRun): { text: string; blocks: BlockRef[] } {
  const blocks: BlockRef[] = [];
  const text = doc.replace(BLOCK, (whole, kind: string, key: string, args: string, current: string, closing: string) => {
    if (kind !== closing) throw new Error(`block ${kind}:${key} is closed by /${closing}`);
    let expected: string;
    if (kind === 'figure') {
      const options = new Set(args.trim().split(/\s+/).filter(Boolean));
      for (const o of options) if (o !== 'bare' && o !== 'pct') throw new Error(`figure:${key}: unknown option "${o}" (bare, pct)`);
      const f = need(run, key);
      const shown = options.has('pct') && typeof f.value === 'number' ? { value: 100 * f.value, unit: '%', digits: 1 } : f;
      expected = formatFigure(shown, options.has('bare'));
    } else if (kind === 'verdict') expected = meets(need(run, key).value, parseTarget(args)) ? 'atteinte' : 'manquée';
    else if (kind === 'run') {
      if (key === 'id') expected = runId(run);
      else if (key === 'summary') expected = runSummary(run);
      else throw new Error(`unknown run block "${key}" (id, summary)`);
    } else {
      const table = TABLES[key];
      if (!table) throw new Error(`unknown table "${key}" (${Object.keys(TABLES).join(', ')})`);
      // a table stands on lines of its own
      expected = `\n${table(run).join('\n')}\n`;
    }
    blocks.push({ kind, key, current, expected });
    return whole.slice(0, whole.length - current.length - `<!-- /${closing} -->`.length) + expected + `<!-- /${closing} -->`;
  });
  const opened = doc.match(OPENING)?.length ?? 0;
  if (opened !== blocks.length) throw new Error(`${opened - blocks.length} marked block(s) opened and not closed`);
  return { text, blocks };
}

export function readRun(root: string): RecordedRun {
  return JSON.parse(readFileSync(path.join(root, RUN_FILE), 'utf8')) as RecordedRun;
}

export function docFiles(root: string): string[] {
  return readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => path.join('docs', f));
}

async function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const check = process.argv.includes('--check');
  const run = readRun(root);
  let stale = 0;
  for (const file of docFiles(root)) {
    const doc = readFileSync(path.join(root, file), 'utf8');
    const { text, blocks } = render(doc, run);
    const differing = blocks.filter((b) => b.current !== b.expected);
    if (!blocks.length) continue;
    if (check) {
      for (const b of differing) console.log(`${file}: ${b.kind}:${b.key} says "${b.current.trim()}", the run says "${b.expected.trim()}"`);
      stale += differing.length;
    } else if (text !== doc) writeFileSync(path.join(root, file), text);
    console.log(`${file}: ${blocks.length} blocks, ${differing.length} ${check ? 'stale' : 'rewritten'}`);
  }
  console.log(`run ${run.run.id}`);
  if (check && stale) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
