import { performance } from 'node:perf_hooks';
const time = async (label: string, url: string, body: unknown, headers: Record<string,string> = {}) => {
  const ts: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? { method: "GET" } : { body: JSON.stringify(body) }) });
    const txt = await r.text();
    if (i === 0 && txt.includes('"errors"')) console.log(label, txt.slice(0, 300));
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  console.log(label.padEnd(40), 'p50', ts[100]!.toFixed(2), 'ms p10', ts[20]!.toFixed(2));
};
await time('gateway __typename', 'http://127.0.0.1:4000/graphql', { query: '{ __typename }' });
await time('products __typename', 'http://127.0.0.1:4001/graphql', { query: '{ __typename }' });
await time('region thies __typename', 'http://127.0.0.1:4004/graphql', { query: '{ __typename }' });
await time('gateway product(1)', 'http://127.0.0.1:4000/graphql', { query: '{ product(id: "1") { name price } }' });
await time('products product(1)', 'http://127.0.0.1:4001/graphql', { query: '{ product(id: "1") { name price } }' });
await time('gateway health GET', 'http://127.0.0.1:4000/health', undefined);
