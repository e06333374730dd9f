/**
 * The gateway's front page: what this address serves, with links. Plain HTML and CSS, nothing
 * loaded from elsewhere.
 */
import type { RequestHandler } from 'express';
import { SELF_ONLY_POLICY } from './assets/bundle.ts';

interface Entry {
  readonly href: string;
  readonly title: string;
  readonly text: string;
  readonly offline: boolean;
}

const ENTRIES: readonly Entry[] = [
  { href: '/graphiql', title: 'GraphiQL', text: 'A GraphQL IDE served by this gateway: queries, docs, history. Set a token in its top bar.', offline: true },
  { href: '/graphql', title: 'GraphQL (Apollo Sandbox)', text: 'The GraphQL endpoint; in a browser, Apollo Sandbox, which loads from Apollo\'s CDN.', offline: false },
  { href: '/api/docs/', title: 'REST API docs', text: 'Swagger UI over the OpenAPI document (/api/openapi.json).', offline: true },
  { href: '/console', title: 'Operations console', text: 'Sites, servers and roles, replication, services, two-phase commit, latest orders and routing. Needs an admin token.', offline: true },
  { href: '/health', title: 'Health', text: 'Liveness of this gateway (/ready checks every subgraph).', offline: true },
];

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export const LANDING_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Teranga</title>
<link rel="icon" href="data:,">
<style>
  body { margin: 0; font: 15px system-ui, -apple-system, 'Segoe UI', sans-serif; background: #f4f1ea; color: #1d2430; }
  header { background: #0f5132; color: #fff; padding: 1.4rem 2rem; }
  header h1 { margin: 0; font-size: 1.6rem; }
  header p { margin: 0.3rem 0 0; opacity: 0.85; }
  main { max-width: 860px; margin: 1.5rem auto; padding: 0 1rem; display: grid; gap: 0.8rem; }
  a.entry { display: block; background: #fff; border: 1px solid #e5e1d8; border-radius: 10px; padding: 0.9rem 1.1rem; color: inherit; text-decoration: none; }
  a.entry:hover { border-color: #0f5132; }
  a.entry h2 { margin: 0 0 0.25rem; font-size: 1.05rem; color: #0f5132; }
  a.entry p { margin: 0; color: #4b5563; }
  .tag { font-size: 0.72rem; font-weight: 600; padding: 0.05rem 0.45rem; border-radius: 999px; margin-left: 0.4rem; vertical-align: middle; }
  .offline { background: #dcfce7; color: #15803d; }
  .online { background: #fef3c7; color: #b45309; }
  code { background: #ece6da; padding: 0 0.25rem; border-radius: 3px; }
  footer { max-width: 860px; margin: 0 auto 2rem; padding: 0 1rem; color: #6b7280; font-size: 0.9rem; }
</style>
</head>
<body>
<header><h1>Teranga</h1><p>Distributed commerce for Dakar, Thiès and Saint-Louis: one GraphQL API and a REST API over three sites.</p></header>
<main>
${ENTRIES.map(
  (e) => `<a class="entry" href="${e.href}"><h2>${escape(e.title)}<span class="tag ${e.offline ? 'offline' : 'online'}">${e.offline ? 'works offline' : 'needs internet'}</span></h2><p>${escape(e.text)}</p></a>`,
).join('\n')}
</main>
<footer>Tokens: <code>npx teranga token --client 2</code> or <code>npx teranga token --admin</code>, sent as <code>Authorization: Bearer &lt;token&gt;</code>.</footer>
</body>
</html>
`;

export function landingPage(): RequestHandler {
  return (_req, res) => {
    res.set('content-security-policy', SELF_ONLY_POLICY).type('html').send(LANDING_PAGE);
  };
}
