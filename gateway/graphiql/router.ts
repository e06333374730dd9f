/**
 * GraphiQL at /graphiql: the `graphiql` package bundled by esbuild from node_modules and served by
 * the gateway, so the IDE works with no internet access (Apollo Sandbox, at /graphql, loads from
 * Apollo's CDN). The page sends its requests to /graphql like any client.
 */
import express from 'express';
import { lazyBundle, pageShell, sendPage, serveBundlePart } from '../assets/bundle.ts';

const PAGE = pageShell('graphiql', 'Teranga GraphiQL', '<div id="graphiql"></div>');

export function graphiqlRouter(): express.Router {
  const router = express.Router();
  const bundle = lazyBundle('gateway/graphiql/page/main.tsx');
  router.get('/graphiql', sendPage(PAGE));
  router.get('/graphiql/graphiql.js', serveBundlePart(bundle, 'js'));
  router.get('/graphiql/graphiql.css', serveBundlePart(bundle, 'css'));
  return router;
}
