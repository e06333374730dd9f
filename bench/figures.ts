/**
 * Every figure the benchmarks measure, keyed, so that one recorded run (docs/benchmarks-run.json)
 * is the only source of the numbers the docs quote: `npm run report:figures` writes them into the
 * marked blocks of docs/*.md, and test/report-figures.test.ts fails when a block and the run differ.
 *
 * A section adds its figures with `figure(key, value, unit)` next to the line it prints. Keys are
 * `section.what[.detail]` (lower case, digits, `-`, `_`, `.`); the section is the `--only` name.
 */

export type FigureValue = number | string | boolean;

export interface Figure {
  readonly value: FigureValue;
  /** As the docs write it after the number: `ms`, `×`, `%`, `req/s`, `` (a count). */
  readonly unit: string;
  /** Decimals the docs show (numbers only). */
  readonly digits: number;
}

export interface RunInfo {
  /** `<commit>@<ISO date>`: what every marked block says it comes from. */
  readonly id: string;
  readonly commit: string;
  readonly dirty: boolean;
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  readonly sections: readonly string[];
  readonly machine: string;
  /** Load averages (1, 5, 15 min) at the start and at the end of the run. */
  readonly loadStart: readonly number[];
  readonly loadEnd: readonly number[];
  readonly seconds: number;
}

export interface RecordedRun {
  readonly run: RunInfo;
  readonly figures: Readonly<Record<string, Figure>>;
}

const KEY = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)+$/;

const figures = new Map<string, Figure>();

/** Records one figure of this run; a key measured twice is a bug in the bench, not a newer value. */
export function figure(key: string, value: FigureValue, unit = '', digits?: number): void {
  if (!KEY.test(key)) throw new Error(`figure key "${key}" is not section.what (lower case, dots)`);
  if (figures.has(key)) throw new Error(`figure "${key}" recorded twice in one run`);
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`figure "${key}" is not a finite number (${value})`);
  figures.set(key, { value, unit, digits: digits ?? defaultDigits(value, unit) });
}

function defaultDigits(value: FigureValue, unit: string): number {
  if (typeof value !== 'number') return 0;
  if (unit === '×') return 2;
  if (Number.isInteger(value) && unit === '') return 0;
  if (unit === 'ms') return Math.abs(value) >= 100 ? 0 : 1;
  return 1;
}

export function recordedFigures(): Record<string, Figure> {
  return Object.fromEntries([...figures].sort(([a], [b]) => a.localeCompare(b)));
}

/** A target the docs state beside a figure; the verdict is generated, never written by hand. */
export interface Target {
  readonly op: '<=' | '>=' | '==';
  readonly value: FigureValue;
}

export function meets(value: FigureValue, target: Target): boolean {
  if (target.op === '==') return value === target.value;
  if (typeof value !== 'number' || typeof target.value !== 'number') throw new Error(`target ${target.op} needs numbers`);
  return target.op === '<=' ? value <= target.value : value >= target.value;
}
