/**
 * The WAN proxy process (`teranga up --wan` starts it first, as the topology's `wan` service):
 * every link of the topology's WAN plan, and a small HTTP control API on the `wan` service's port:
 * - GET /health
 * - GET /counters → { links: LinkReport[] }
 * - POST /counters/reset → zeroes every link's counters (tests measure one operation at a time)
 */
import http from 'node:http';
import { directTopologyFromEnv, serviceByName } from '../topology.ts';
import { linkReport, startLinks } from './proxy.ts';

const topology = directTopologyFromEnv();
if (!topology.wan) throw new Error('the WAN proxy runs only with TERANGA_WAN=1');
const links = await startLinks([...topology.wan.links, ...topology.wan.outside]);
const self = serviceByName(topology, 'wan');

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://wan');
  if (req.method === 'GET' && url.pathname === '/health') return json(res, 200, { ok: true, links: links.length });
  if (req.method === 'GET' && url.pathname === '/counters') return json(res, 200, { rtt: topology.wan!.rtt, links: links.map(linkReport) });
  if (req.method === 'POST' && url.pathname === '/counters/reset') {
    for (const l of links) l.reset();
    return json(res, 200, { ok: true });
  }
  json(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${url.pathname}` } });
});
server.listen(self.port, self.listenHost, () => {
  console.log(JSON.stringify({ msg: 'wan proxy ready', links: links.length, control: self.url }));
});

const stop = () => {
  server.close();
  void Promise.all(links.map((l) => l.close())).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
