/**
 * What the page reads of `/console/api/snapshot` (gateway/console/snapshot.ts builds it). Fields
 * the page does not know are ignored, and optional sections are drawn only when present, so a
 * newer gateway can add to the document without breaking an older page.
 */
export interface Server {
  name: string;
  site: string | null;
  database: string;
  role: 'primary' | 'standby' | 'down' | string;
  host: string;
  port: number;
  pid: number | null;
  replication: { upstream: string; state: string; sync: string; lagBytes: number; replayLagMs: number | null } | null;
  rebuildPending: boolean;
}

export interface Service {
  name: string;
  kind: string;
  site: string | null;
  role: 'up' | 'down' | string;
  host: string;
  port: number;
  url: string;
  pid: number | null;
}

export interface Site {
  id: string;
  code: string;
  city: string;
  warehouse: string;
  lat: number;
  lon: number;
}

export interface Snapshot {
  version: number;
  generatedAt: string;
  network: string;
  sites: Site[];
  servers: Server[];
  services: Service[];
  gateways?: { name: string; site: string | null; url: string; role: string }[];
  twoPhaseCommit: {
    inDoubt: { site: string; gid: string; preparedAt: string; ageMs: number }[];
    unreachable: string[];
    recoveryPending: number | null;
    phases: { phase: string; count: number; meanMs: number | null }[];
    outcomes: { operation: string; code: string; count: number }[];
  };
  recentOrders: { at: string; requestId: string; orderId: string | null; status: string | null; error: string | null; sites: string[]; durationMs: number }[];
  recentRequests: {
    at: string;
    requestId: string;
    operation: string;
    kind: string;
    caller: string;
    durationMs: number;
    fetches: { subgraph: string; site: string | null }[];
    sites: string[];
    errorCodes: string[];
  }[];
  paymentRelay?: { backlog: number; oldestAgeMs: number | null } | null;
  wanLinks?: { from: string; to: string; latencyMs: number | null; state: string }[];
  extensions?: Record<string, unknown>;
  warnings: string[];
}
