/**
 * A closed-loop load generator: C workers each send requests back to back until N requests are
 * done; latencies are recorded per request.
 */
export interface LoadResult {
  readonly latenciesMs: number[];
  readonly errors: number;
  readonly elapsedMs: number;
  readonly firstError?: string;
}

export async function runLoad(options: { concurrency: number; requests: number; fn: (i: number) => Promise<void> }): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.requests) {
        const i = next++;
        const start = performance.now();
        try {
          await options.fn(i);
          latenciesMs.push(performance.now() - start);
        } catch (error) {
          errors++;
          firstError ??= (error as Error).message;
        }
      }
    }),
  );
  return { latenciesMs, errors, elapsedMs: performance.now() - t0, firstError };
}

/** Several runs of the same measurement as one. */
export function mergeLoads(results: readonly LoadResult[]): LoadResult {
  return {
    latenciesMs: results.flatMap((r) => r.latenciesMs),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    elapsedMs: results.reduce((sum, r) => sum + r.elapsedMs, 0),
    firstError: results.find((r) => r.firstError)?.firstError,
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface Summary {
  p50: number;
  p99: number;
  throughput: number;
  errors: number;
}

export function summarize(result: LoadResult): Summary {
  return {
    p50: percentile(result.latenciesMs, 50),
    p99: percentile(result.latenciesMs, 99),
    throughput: (result.latenciesMs.length / result.elapsedMs) * 1000,
    errors: result.errors,
  };
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

/** One table row: a figure, its baseline, and their ratio. */
export function ratioRow(label: string, value: number, baseline: number, unit: string): string {
  return `${label.padEnd(44)} ${fmt(value).padStart(9)} ${unit.padEnd(6)} ${fmt(baseline).padStart(9)} ${unit.padEnd(6)} ${fmt(value / baseline, 2).padStart(6)}×`;
}

/** POSTs a GraphQL operation and throws on HTTP or GraphQL errors. */
export async function post<T>(url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<T & { extensions?: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[]; extensions?: Record<string, unknown> };
  if (!response.ok || body.errors?.length) throw new Error(body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`);
  return { ...(body.data as T), extensions: body.extensions };
}
