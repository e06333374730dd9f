/**
 * The operations console, mounted at /console on the gateway: a page (public, it holds no data)
 * that polls `/console/api/snapshot` (administrators only) and draws the cluster.
 *
 * Why an admin token rather than "local network only": the gateway is the public entry point and,
 * behind compose or a reverse proxy, every request arrives from the proxy's address, so where a
 * request comes from proves nothing; the snapshot names every server, port and in-doubt
 * transaction, which is an administrator's business, and admin tokens already exist
 * (`teranga token --admin`). The page takes the token from its address's fragment
 * (`/console#token=…`, never sent to any server) or from its form, and keeps it in the tab's
 * session storage.
 */
import express from 'express';
import type { TokenVerifier } from '../../lib/auth/token-verifier.ts';
import { principalOf } from '../../lib/service/caller.ts';
import type { Topology } from '../../lib/topology.ts';
import { lazyBundle, pageShell, sendPage, serveBundlePart } from '../assets/bundle.ts';
import { authenticateCaller } from '../authentication.ts';
import { sendError } from '../rest/errors.ts';
import type { RecentActivity } from './activity.ts';
import { collectSnapshot, snapshotCache } from './snapshot.ts';

export const CONSOLE_SNAPSHOT_PATH = '/console/api/snapshot';

const PAGE = pageShell('console', 'Teranga console', '<div id="app"><p class="boot">Loading the console…</p></div>');

export interface ConsoleOptions {
  readonly topology: Topology;
  readonly internalSecret: string;
  readonly activity: RecentActivity;
  readonly tokenVerifier: TokenVerifier;
}

export function consoleRouter(options: ConsoleOptions): express.Router {
  const router = express.Router();
  const bundle = lazyBundle('gateway/console/page/main.ts');
  const snapshot = snapshotCache(() => collectSnapshot(options));
  router.get('/console', sendPage(PAGE));
  router.get('/console/console.js', serveBundlePart(bundle, 'js'));
  router.get('/console/console.css', serveBundlePart(bundle, 'css'));
  router.get(CONSOLE_SNAPSHOT_PATH, authenticateCaller(options.tokenVerifier, 'rest'), async (_req, res, next) => {
    const principal = principalOf(res);
    if (principal.kind === 'anonymous') {
      sendError(res, 'UNAUTHENTICATED', 'The console needs an administrator token: npx teranga token --admin');
      return;
    }
    if (principal.kind !== 'admin') {
      sendError(res, 'FORBIDDEN', 'The console is for administrators only');
      return;
    }
    try {
      res.set('cache-control', 'no-store').json(await snapshot());
    } catch (error) {
      next(error);
    }
  });
  return router;
}
