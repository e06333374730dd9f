/**
 * GraphiQL, bundled from the `graphiql` package and served by the gateway: no CDN, no font or
 * script from elsewhere. A token field above the editor sets `Authorization` on every request
 * (kept in this tab only); `#token=…` in the address fills it, and the Headers tab still works.
 */
import 'graphiql/style.css';
import './style.css';
import { GraphiQL } from 'graphiql';
import { StrictMode, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';

const TOKEN_KEY = 'teranga-graphiql-token';

type Params = { query: string; operationName?: string | null; variables?: unknown };

function tokenFromAddress(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]!));
    history.replaceState(null, '', location.pathname + location.search);
  }
}

async function fetcher(params: Params, options?: { headers?: Record<string, unknown> }): Promise<unknown> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  for (const [name, value] of Object.entries(options?.headers ?? {})) headers[name.toLowerCase()] = String(value);
  const response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify(params) });
  return response.json();
}

const EXAMPLE = `# The catalogue needs no token. A client's data and orders do:
# paste one in the bar above (npx teranga token --client 2).
query Catalog {
  products(limit: 5) { id name price stock inventory { site quantity } }
}
`;

function TokenBar() {
  const [token, setToken] = useState(sessionStorage.getItem(TOKEN_KEY) ?? '');
  const [saved, setSaved] = useState(token !== '');
  const apply = (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim().replace(/^Bearer\s+/i, '');
    if (value === '') sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, value);
    setToken(value);
    setSaved(value !== '');
  };
  return (
    <form className="token-bar" onSubmit={apply}>
      <strong>Teranga GraphiQL</strong>
      <label htmlFor="token">Token</label>
      <input
        id="token"
        value={token}
        spellCheck={false}
        placeholder="paste a token (npx teranga token --admin): sent as Authorization: Bearer …"
        onChange={(e) => {
          setToken(e.target.value);
          setSaved(false);
        }}
      />
      <button type="submit">{token.trim() === '' ? 'Clear' : 'Use token'}</button>
      <span className={saved ? 'state on' : 'state'}>{saved ? 'token set' : 'anonymous'}</span>
      <a href="/">home</a>
    </form>
  );
}

function App() {
  return (
    <div className="page">
      <TokenBar />
      <div className="ide">
        <GraphiQL fetcher={fetcher} defaultQuery={EXAMPLE} shouldPersistHeaders={false} />
      </div>
    </div>
  );
}

tokenFromAddress();
createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
