/**
 * GraphiQL at /graphiql: the `graphiql` package bundled by esbuild from node_modules and served by
 * the gateway, so the IDE works with no internet access (Apollo Sandbox, at /graphql, loads from
 * Apollo's CDN). The page sends its requests to /graphql like any client.
 */
import express from 'express';
import { lazyBundle, sendPage, serveBundlePart } from '../assets/bundle.ts';

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Teranga GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/graphiql/graphiql.css">
<script type="module" src="/graphiql/graphiql.js"></script>
</head>
<body><div id="graphiql"></div></body>
</html>
`;

export function graphiqlRouter(): express.Router {
  const router = express.Router();
  const bundle = lazyBundle('gateway/graphiql/page/main.tsx');
  router.get('/graphiql', sendPage(PAGE));
  router.get('/graphiql/graphiql.js', serveBundlePart(bundle, 'js'));
  router.get('/graphiql/graphiql.css', serveBundlePart(bundle, 'css'));
  return router;
}
