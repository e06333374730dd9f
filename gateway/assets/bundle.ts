/**
 * Browser bundles built with esbuild from node_modules when first asked for, kept in memory: the
 * console and GraphiQL pages load nothing but these files from the gateway itself, so they work
 * offline and make no request outside the cluster. Building on demand keeps the gateway's start
 * as fast as before (GraphiQL's bundle takes a second or two to build).
 */
import path from 'node:path';
import { build } from 'esbuild';
import type { RequestHandler } from 'express';
import { REPO_ROOT } from '../../lib/topology.ts';

export interface Bundle {
  readonly js: string;
  readonly css: string;
}

export type BundleSource = () => Promise<Bundle>;

/** Builds `entry` (relative to the repository root) once, on the first call. */
export function lazyBundle(entry: string): BundleSource {
  let pending: Promise<Bundle> | null = null;
  return () => {
    pending ??= build({
      entryPoints: [path.join(REPO_ROOT, entry)],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      outdir: 'out',
      loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl' },
      define: { 'process.env.NODE_ENV': '"production"' },
      jsx: 'automatic',
      logLevel: 'silent',
    }).then((result) => {
      const of = (ext: string) => result.outputFiles.filter((f) => f.path.endsWith(ext)).map((f) => f.text).join('\n');
      return { js: of('.js'), css: of('.css') };
    });
    pending.catch(() => {
      pending = null;
    });
    return pending;
  };
}

/** Pages that load only their own files: the browser refuses anything from elsewhere. */
export const SELF_ONLY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function serveBundlePart(bundle: BundleSource, part: keyof Bundle): RequestHandler {
  return async (_req, res, next) => {
    try {
      const built = await bundle();
      res.type(part === 'js' ? 'text/javascript' : 'text/css').set('cache-control', 'no-cache').send(built[part]);
    } catch (error) {
      next(error);
    }
  };
}

/** The HTML shell of a page bundled under `/<name>/`: its stylesheet, its module and a root element. */
export function pageShell(name: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/${name}/${name}.css">
<script type="module" src="/${name}/${name}.js"></script>
</head>
<body>${body}</body>
</html>
`;
}

export function sendPage(html: string): RequestHandler {
  return (_req, res) => {
    res.set('content-security-policy', SELF_ONLY_POLICY).type('html').send(html);
  };
}
