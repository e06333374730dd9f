import { performance } from 'node:perf_hooks';
const time = async (label: string, url: string, body: unknown, headers: Record<string,string> = {}) => {
  const ts: number[] = [];
  let size = 0;
  for (let i = 0; i < 60; i++) {
    const t = performance.now();
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const txt = await r.text(); size = txt.length;
    if (i === 0 && txt.includes('"errors"')) console.log(label, txt.slice(0, 300));
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  console.log(label.padEnd(40), 'p50', ts[30]!.toFixed(1), 'ms  size', size);
};
const reps = Array.from({ length: 200 }, (_, i) => ({ __typename: 'StockLevel', productId: String(i + 1), site: 'DAKAR' }));
await time('gateway catalog', 'http://127.0.0.1:4000/graphql', { query: '{ products(limit: 200) { id name price stock inventory { site quantity } } }' });
await time('gateway catalog no stock', 'http://127.0.0.1:4000/graphql', { query: '{ products(limit: 200) { id name price inventory { site quantity } } }' });
await time('gateway catalog info only', 'http://127.0.0.1:4000/graphql', { query: '{ products(limit: 200) { id name price } }' });
await time('products subgraph direct', 'http://127.0.0.1:4001/graphql', { query: '{ products(limit: 200) { id name price inventory { productId site } } }' });
await time('region dakar entities', 'http://127.0.0.1:4003/graphql', { query: 'query($r:[_Any!]!){ _entities(representations:$r){ ... on StockLevel { quantity } } }', variables: { r: reps } });
