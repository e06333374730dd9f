// @vitest-environment happy-dom
/**
 * The report's references hold: every file the French documents (docs/*.md) cite exists, every
 * row of the report's claims table names a test that exists in the file it names (or a command
 * the repository provides), and every Mermaid diagram in docs/ and the README parses with
 * mermaid's own parser. The DOM environment is only for mermaid's sanitizer (DOMPurify), which
 * some diagram types (state diagrams) call while parsing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../lib/topology.ts';

const DOCS = path.join(REPO_ROOT, 'docs');
const docFiles = readdirSync(DOCS).filter((f) => f.endsWith('.md')).sort();
const read = (file: string) => readFileSync(file, 'utf8');

/** Paths a document cites: markdown link targets, and backticked paths with a known root and an extension. */
export function citedPaths(markdown: string): { link: string[]; code: string[] } {
  const link = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/.test(target) && !target.startsWith('#'))
    .map((target) => decodeURIComponent(target.split('#')[0]!))
    // a file or folder, not the parentheses of relational algebra (σ[…](Client), w(dakar/141))
    .filter((target) => /^\.\.?\//.test(target) || /^[\w.-]+\.[a-z]{1,4}$/.test(target));
  const roots = ['bench', 'bin', 'cli', 'clients', 'cluster', 'docker', 'docs', 'gateway', 'lib', 'migrations', 'schema', 'seed', 'services', 'sim', 'sql', 'subgraphs', 'test'];
  const code = [...markdown.matchAll(/`([^`\s]+)`/g)]
    .map((m) => m[1]!)
    .filter((p) => roots.some((r) => p.startsWith(`${r}/`)) && /\.[a-z]{1,4}$/.test(p) && !/[<>*…{}]/.test(p));
  return { link, code };
}

export interface Claim {
  readonly id: string;
  readonly claim: string;
  readonly file: string;
  /** `test` names an `it`/`describe` title (an exact part of it); `command` a command reproducing a figure. */
  readonly proof: { kind: 'test'; name: string } | { kind: 'command'; command: string };
}

/**
 * The claims table sits between `<!-- claims:begin -->` and `<!-- claims:end -->`; each row is
 * `| C<n> | claim | \`file\` | test « name » or commande \`command\` |`.
 */
export function parseClaims(markdown: string): Claim[] {
  const begin = markdown.indexOf('<!-- claims:begin -->');
  const end = markdown.indexOf('<!-- claims:end -->');
  if (begin < 0 || end < begin) throw new Error('no claims table (<!-- claims:begin --> … <!-- claims:end -->)');
  const rows = markdown.slice(begin, end).split('\n').filter((line) => /^\|\s*C\d+\s*\|/.test(line));
  return rows.map((row) => {
    const cells = row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (cells.length !== 4) throw new Error(`a claims row has ${cells.length} cells, not 4: ${row}`);
    const [id, claim, fileCell, proofCell] = cells as [string, string, string, string];
    const file = /^`([^`]+)`$/.exec(fileCell)?.[1];
    if (!file) throw new Error(`${id}: the file cell must be one backticked path: ${fileCell}`);
    const test = /^test « (.+) »$/.exec(proofCell);
    const command = /^commande `([^`]+)`$/.exec(proofCell);
    if (test) return { id, claim, file, proof: { kind: 'test', name: test[1]!.replace(/\\\|/g, '|') } };
    if (command) return { id, claim, file, proof: { kind: 'command', command: command[1]! } };
    throw new Error(`${id}: the proof cell must be test « name » or commande \`command\`: ${proofCell}`);
  });
}

/** A command the repository provides: an npm script, a `teranga` subcommand, or a psql run of a file here. */
function commandExists(command: string): string | null {
  const scripts = (JSON.parse(read(path.join(REPO_ROOT, 'package.json'))) as { scripts: Record<string, string> }).scripts;
  const npm = /^npm run ([\w:-]+)/.exec(command);
  if (npm) return npm[1]! in scripts ? null : `no npm script ${npm[1]}`;
  const teranga = /^npx teranga ([\w-]+)/.exec(command);
  if (teranga) {
    const cli = readdirSync(path.join(REPO_ROOT, 'cli/commands')).map((f) => read(path.join(REPO_ROOT, 'cli/commands', f))).join('\n');
    return cli.includes(`.command('${teranga[1]}')`) ? null : `no teranga command ${teranga[1]}`;
  }
  const psql = /psql .*-f (\S+)/.exec(command);
  if (psql) return existsSync(path.join(REPO_ROOT, psql[1]!)) ? null : `no file ${psql[1]}`;
  return `not a command this check knows: ${command}`;
}

/** The Mermaid blocks of a markdown text. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('the report cites what exists', () => {
  it.each(docFiles)('every file docs/%s links to or names exists', (doc) => {
    const { link, code } = citedPaths(read(path.join(DOCS, doc)));
    const missing = [
      ...link.filter((target) => !existsSync(path.resolve(DOCS, target))),
      ...code.filter((p) => !existsSync(path.join(REPO_ROOT, p))),
    ];
    expect(missing).toEqual([]);
  });

  it.each(docFiles)('every test file docs/%s names by its bare name is in test/', (doc) => {
    const named = [...read(path.join(DOCS, doc)).matchAll(/`([\w-]+\.(?:test|e2e|compose)\.ts)`/g)].map((m) => m[1]!);
    expect(named.filter((name) => !existsSync(path.join(REPO_ROOT, 'test', name)))).toEqual([]);
  });

  const claims = parseClaims(read(path.join(DOCS, 'rapport.md')));

  it('the report has one reference-run section, which the final run replaces as a whole', () => {
    const report = read(path.join(DOCS, 'rapport.md'));
    expect(report.split('<!-- run:begin').length - 1).toBe(1);
    expect(report.split('<!-- run:end -->').length - 1).toBe(1);
    expect(report.indexOf('<!-- run:begin')).toBeLessThan(report.indexOf('<!-- run:end -->'));
  });

  it('the claims table has rows with distinct identifiers', () => {
    expect(claims.length).toBeGreaterThan(20);
    expect(new Set(claims.map((c) => c.id)).size).toBe(claims.length);
  });

  it('every claim names an existing file, and a test in it by its title or a command the repository has', () => {
    const wrong = claims.flatMap((c) => {
      const file = path.join(REPO_ROOT, c.file);
      if (!existsSync(file)) return [`${c.id}: no file ${c.file}`];
      if (c.proof.kind === 'test') {
        if (!/\.(test|e2e|compose)\.ts$/.test(c.file)) return [`${c.id}: ${c.file} is not a test file`];
        return read(file).includes(c.proof.name) ? [] : [`${c.id}: no test « ${c.proof.name} » in ${c.file}`];
      }
      const problem = commandExists(c.proof.command);
      return problem ? [`${c.id}: ${problem}`] : [];
    });
    expect(wrong).toEqual([]);
  });
});

describe('the parsers of this check', () => {
  it('reads a claims row, a test name with a pipe, and refuses a malformed row', () => {
    const table = (row: string) => `<!-- claims:begin -->\n| id | a | b | c |\n|---|---|---|---|\n${row}\n<!-- claims:end -->`;
    expect(parseClaims(table('| C1 | le stock | `test/x.e2e.ts` | test « keeps a \\| b » |'))).toEqual([
      { id: 'C1', claim: 'le stock', file: 'test/x.e2e.ts', proof: { kind: 'test', name: 'keeps a | b' } },
    ]);
    expect(parseClaims(table('| C2 | un chiffre | `bench/x.ts` | commande `npm run bench` |'))[0]!.proof).toEqual({ kind: 'command', command: 'npm run bench' });
    expect(() => parseClaims(table('| C3 | sans preuve | `test/x.e2e.ts` | voir plus haut |'))).toThrow(/C3/);
    expect(() => parseClaims('no table')).toThrow(/no claims table/);
  });

  it('finds linked and backticked paths, not placeholders or URLs', () => {
    const cited = citedPaths('[a](../lib/x.ts#L1) [b](https://example.org) [c](#ancre) `test/y.e2e.ts` `migrations/<site>/002.sql` `SELECT 1`');
    expect(cited).toEqual({ link: ['../lib/x.ts'], code: ['test/y.e2e.ts'] });
  });
});

describe('Mermaid diagrams', async () => {
  const { default: mermaid } = await import('mermaid');
  const diagrams = [...docFiles.map((f) => path.join(DOCS, f)), path.join(REPO_ROOT, 'README.md')]
    .flatMap((file) => mermaidBlocks(read(file)).map((text, i) => ({ where: `${path.relative(REPO_ROOT, file)} #${i + 1}`, text })));

  it('the documents have diagrams', () => {
    expect(diagrams.length).toBeGreaterThanOrEqual(8);
  });

  it.each(diagrams)('$where parses', async ({ text }) => {
    await expect(mermaid.parse(text)).resolves.toBeTruthy();
  });

  it('the parser refuses a broken diagram (the check can fail)', async () => {
    await expect(mermaid.parse('flowchart TB\n  A -->')).rejects.toThrow();
  });
});
