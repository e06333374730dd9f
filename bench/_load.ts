const q = { query: '{ products(limit: 200) { id name price stock inventory { site quantity } } }' };
const t0 = Date.now(); let n = 0;
await Promise.all(Array.from({ length: 4 }, async () => { while (Date.now() - t0 < 15000) { await (await fetch('http://127.0.0.1:4000/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(q) })).text(); n++; } }));
console.log(n / 15, 'req/s');
