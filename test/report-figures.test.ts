/**
 * The docs' figures are those of one recorded run (docs/benchmarks-run.json): every marked block
 * says what `npm run report:figures` would write from that run, so a hand-edited figure, a block
 * left from an older run or a figure the run lacks fails here. No cluster.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRun } from '../bench/figures.ts';
import { docFiles, formatFigure, frenchNumber, parseTarget, readRun, render, runId } from '../bench/report-figures.ts';

const root = path.resolve(import.meta.dirname, '..');

/** The documents whose figures come from the bench, each saying at its head which run. */
const MEASURED_DOCS = ['docs/rapport.md', 'docs/benchmarks.md', 'docs/concurrence.md', 'docs/replication.md'];

const sample: RecordedRun = {
  run: {
    id: 'abc1234@2026-12-02T16:05:00.000Z',
    commit: 'abc1234',
    dirty: false,
    date: '2026-12-02T16:05:00.000Z',
    command: 'npm run bench -- --record docs/benchmarks-run.md',
    quick: false,
    sections: ['read'],
    machine: '2 cœurs',
    loadStart: [3.4, 3, 2],
    loadEnd: [4.7, 4, 3],
    seconds: 450,
  },
  figures: {
    'read.c1.throughput.ratio': { value: 0.2834, unit: '×', digits: 2 },
    'write.c1.three.p99': { value: 1438.2, unit: 'ms', digits: 0 },
    'locality.thies.own_site_only': { value: true, unit: '', digits: 0 },
  },
};

describe('the figures generator', () => {
  it('writes numbers the French way: decimal comma, spaced thousands', () => {
    expect(frenchNumber(0.2834, 2)).toBe('0,28');
    expect(frenchNumber(1438.2, 0)).toBe('1 438');
    expect(frenchNumber(12345.67, 1)).toBe('12 345,7');
    expect(frenchNumber(-3.25, 1)).toBe('−3,3');
    expect(formatFigure(sample.figures['write.c1.three.p99']!)).toBe('1 438 ms');
    expect(formatFigure(sample.figures['read.c1.throughput.ratio']!)).toBe('0,28×');
    expect(formatFigure(sample.figures['locality.thies.own_site_only']!)).toBe('oui');
  });

  it('rewrites figure, verdict and run blocks from the run, and reports the stale ones', () => {
    const doc =
      'Exécution : <!-- run:id -->ancienne<!-- /run -->.\n' +
      '| débit | ≥ 0,5 | <!-- figure:read.c1.throughput.ratio bare -->0,45<!-- /figure --> ' +
      '(<!-- verdict:read.c1.throughput.ratio >= 0.5 -->atteinte<!-- /verdict -->) |\n' +
      'p99 <!-- figure:write.c1.three.p99 -->1 438 ms<!-- /figure -->.\n';
    const { text, blocks } = render(doc, sample);
    expect(text).toBe(
      `Exécution : <!-- run:id -->${runId(sample)}<!-- /run -->.\n` +
        '| débit | ≥ 0,5 | <!-- figure:read.c1.throughput.ratio bare -->0,28<!-- /figure --> ' +
        '(<!-- verdict:read.c1.throughput.ratio >= 0.5 -->manquée<!-- /verdict -->) |\n' +
        'p99 <!-- figure:write.c1.three.p99 -->1 438 ms<!-- /figure -->.\n',
    );
    expect(blocks.filter((b) => b.current !== b.expected).map((b) => `${b.kind}:${b.key}`)).toEqual(['run:id', 'figure:read.c1.throughput.ratio', 'verdict:read.c1.throughput.ratio']);
    expect(render(text, sample).text).toBe(text);
  });

  it('takes neither a comment such as run:begin nor prose naming a marker for a block', () => {
    const doc = '<!-- run:begin — the run -->\n`<!-- figure:clé -->` in prose, <!-- figure:write.c1.three.p99 -->x<!-- /figure --> <!-- /run -->\n';
    const { text, blocks } = render(doc, sample);
    expect(blocks.map((b) => `${b.kind}:${b.key}`)).toEqual(['figure:write.c1.three.p99']);
    expect(text).toContain('<!-- figure:write.c1.three.p99 -->1 438 ms<!-- /figure -->');
  });

  it('refuses a block whose figure the run does not have, and a malformed target', () => {
    expect(() => render('<!-- figure:geo.rtt.dakar -->3 ms<!-- /figure -->', sample)).toThrow(/geo\.rtt\.dakar.*not in the recorded run/);
    expect(() => parseTarget('about 2')).toThrow(/not "<= N"/);
    expect(parseTarget('<= 1.6')).toEqual({ op: '<=', value: 1.6 });
    expect(() => render('<!-- figure:write.c1.three.p99 -->1 438 ms, never closed', sample)).toThrow(/not closed/);
  });
});

describe('the docs and the recorded run', () => {
  // read in each test, so that a missing run fails these tests and not the generator's
  let run: RecordedRun;
  beforeAll(() => {
    run = readRun(root);
  });

  it('every marked block in docs/ is what the recorded run gives (run `npm run report:figures` after a recorded bench)', () => {
    const stale: string[] = [];
    let blocks = 0;
    for (const file of docFiles(root)) {
      const doc = readFileSync(path.join(root, file), 'utf8');
      const result = render(doc, run);
      blocks += result.blocks.length;
      for (const b of result.blocks) {
        if (b.current !== b.expected) stale.push(`${file} ${b.kind}:${b.key}: "${b.current.trim()}" ≠ "${b.expected.trim()}"`);
      }
    }
    expect(stale).toEqual([]);
    expect(blocks).toBeGreaterThan(50);
  });

  it('each measured document says at its head which run its figures come from, and all say the same run', () => {
    for (const file of MEASURED_DOCS) {
      const doc = readFileSync(path.join(root, file), 'utf8');
      const head = doc.split('\n## ')[0]!;
      const ids = [...doc.matchAll(/<!-- run:id -->([\s\S]*?)<!-- \/run -->/g)].map((m) => m[1]);
      expect(head, `${file} names its run before its first section`).toMatch(/<!-- run:(id|summary) -->/);
      expect(new Set(ids), file).toEqual(new Set([runId(run)]));
    }
  });

  it('the recorded run is one run of one commit, with every section the docs quote', () => {
    expect(run.run.id).toBe(`${run.run.commit}${run.run.dirty ? '+' : ''}@${run.run.date}`);
    // every section whose figures the docs cite ran in this one run
    const cited = new Set<string>();
    for (const file of docFiles(root)) {
      for (const b of render(readFileSync(path.join(root, file), 'utf8'), run).blocks) {
        // figure keys and table names both begin with their section's name
        if (b.kind !== 'run') cited.add(b.key.split('.')[0]!);
      }
    }
    expect([...cited].filter((section) => !run.run.sections.includes(section))).toEqual([]);
    const md = readFileSync(path.join(root, 'docs/benchmarks-run.md'), 'utf8');
    expect(md).toContain(`Run of commit \`${run.run.commit}\``);
    expect(md).toContain(run.run.date);
  });
});
