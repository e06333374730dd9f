#!/usr/bin/env python3
"""Teranga's routing client: sends a customer's GraphQL requests to the gateway of their site.

Standard library only. The customer's city is placed by the API itself (`siteForCity`, asked of
any gateway), never by a copy of the placement table; the gateways of the sites come from
`teranga status --json` (its `services` of kind `gateway`, each with `site` and `url`) or from
TERANGA_GATEWAYS (`dakar=http://127.0.0.1:4000/graphql,thies=...`).

CLI:
  teranga_client.py --status-json status.json --city Mbour site
  teranga_client.py --gateways dakar=URL,thies=URL --city Thiès query '{ products { id name } }'
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any, Dict, Mapping, Optional

# GraphQL enum codes of the sites (schema/regions.graphql) to the topology's site ids
SITE_CODES = {"DAKAR": "dakar", "THIES": "thies", "SAINT_LOUIS": "saint-louis"}


class TerangaError(Exception):
    """A request the API refused or could not answer; `code` is the API's stable error code."""

    def __init__(self, message: str, code: str = "CLIENT_ERROR") -> None:
        super().__init__(message)
        self.code = code


def gateways_from_status(status: Mapping[str, Any]) -> Dict[str, str]:
    """The gateway URL of each site, from the JSON of `teranga status --json`."""
    found: Dict[str, str] = {}
    for service in status.get("services", []):
        if service.get("kind") == "gateway" and service.get("site") and service.get("url"):
            found[str(service["site"])] = str(service["url"])
    if not found:
        raise TerangaError("the status lists no gateway with a site", "NO_GATEWAY")
    return found


def parse_gateways(text: str) -> Dict[str, str]:
    """`dakar=URL,thies=URL` to a mapping; malformed entries are an error."""
    found: Dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        site, sep, url = part.partition("=")
        if not sep or not site.strip() or not url.strip():
            raise TerangaError(f'malformed gateway entry "{part}" (expected site=url)', "BAD_USER_INPUT")
        found[site.strip()] = url.strip()
    if not found:
        raise TerangaError("no gateway given", "NO_GATEWAY")
    return found


def post_graphql(url: str, query: str, variables: Optional[Mapping[str, Any]] = None,
                 headers: Optional[Mapping[str, str]] = None, timeout: float = 15.0) -> Dict[str, Any]:
    """POSTs one operation; returns `data`, raises TerangaError with the first error's code."""
    body = json.dumps({"query": query, "variables": dict(variables or {})}).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"content-type": "application/json", **dict(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read().decode("utf-8"))
        except ValueError:
            raise TerangaError(f"HTTP {error.code} from {url}", "HTTP_ERROR") from error
    except (urllib.error.URLError, OSError) as error:
        raise TerangaError(f"cannot reach {url}: {error}", "UNREACHABLE") from error
    errors = answer.get("errors") or []
    if errors:
        first = errors[0]
        raise TerangaError(first.get("message", "error"), (first.get("extensions") or {}).get("code", "ERROR"))
    return answer.get("data") or {}


class TerangaClient:
    """A customer's client: their city decides which site's gateway serves every request."""

    def __init__(self, gateways: Mapping[str, str], city: str, token: Optional[str] = None, timeout: float = 15.0) -> None:
        if not gateways:
            raise TerangaError("no gateway given", "NO_GATEWAY")
        self.gateways = dict(gateways)
        self.city = city
        self.token = token
        self.timeout = timeout
        self._site: Optional[str] = None

    def _headers(self) -> Dict[str, str]:
        headers = {"x-client-city": self.city}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        return headers

    def site(self) -> str:
        """The customer's site, as the API places their city (asked once, of any gateway)."""
        if self._site is None:
            bootstrap = self.gateways.get("dakar") or next(iter(self.gateways.values()))
            data = post_graphql(bootstrap, "query($c: String!) { siteForCity(city: $c) }", {"c": self.city}, timeout=self.timeout)
            code = data.get("siteForCity")
            if code not in SITE_CODES:
                raise TerangaError(f"unexpected site {code!r}", "INTERNAL")
            self._site = SITE_CODES[code]
        return self._site

    def gateway(self) -> str:
        """The URL of the customer's site's gateway."""
        site = self.site()
        if site not in self.gateways:
            raise TerangaError(f"no gateway known for site {site}", "NO_GATEWAY")
        return self.gateways[site]

    def query(self, query: str, variables: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """Sends one GraphQL operation to the customer's own gateway."""
        return post_graphql(self.gateway(), query, variables, self._headers(), self.timeout)


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description="Send a customer's GraphQL requests to their site's gateway.")
    parser.add_argument("--city", required=True, help="the customer's city, e.g. Thiès")
    parser.add_argument("--status-json", help="output of `teranga status --json` (a file, or - for stdin)")
    parser.add_argument("--gateways", default=os.environ.get("TERANGA_GATEWAYS"), help="site=url,... (default $TERANGA_GATEWAYS)")
    parser.add_argument("--token", default=os.environ.get("TERANGA_TOKEN"), help="bearer token (default $TERANGA_TOKEN)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("site", help="print the customer's site and gateway")
    q = sub.add_parser("query", help="send a GraphQL operation, print the data as JSON")
    q.add_argument("operation")
    q.add_argument("--variables", default="{}", help="JSON object")
    args = parser.parse_args(argv)
    try:
        if args.status_json:
            text = sys.stdin.read() if args.status_json == "-" else open(args.status_json, encoding="utf-8").read()
            gateways = gateways_from_status(json.loads(text))
        elif args.gateways:
            gateways = parse_gateways(args.gateways)
        else:
            raise TerangaError("give --status-json or --gateways (or TERANGA_GATEWAYS)", "NO_GATEWAY")
        client = TerangaClient(gateways, args.city, args.token)
        if args.command == "site":
            print(json.dumps({"city": args.city, "site": client.site(), "gateway": client.gateway()}))
        else:
            print(json.dumps(client.query(args.operation, json.loads(args.variables)), ensure_ascii=False))
        return 0
    except TerangaError as error:
        print(json.dumps({"error": {"code": error.code, "message": str(error)}}), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
