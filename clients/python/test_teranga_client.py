"""Tests of teranga_client.py. Pure parts always; against a running cluster when
TERANGA_STATUS_JSON names the output of `teranga status --json` (test/python-client.e2e.ts sets it)."""
import json
import os
import unittest

import teranga_client as tc


class GatewayListing(unittest.TestCase):
    def test_reads_one_gateway_per_site_from_status(self):
        status = {"services": [
            {"name": "gateway", "kind": "gateway", "site": "dakar", "url": "http://d/graphql"},
            {"name": "orders", "kind": "subgraph", "site": "dakar", "url": "http://o/graphql"},
            {"name": "gateway-thies", "kind": "gateway", "site": "thies", "url": "http://t/graphql"},
        ]}
        self.assertEqual(tc.gateways_from_status(status), {"dakar": "http://d/graphql", "thies": "http://t/graphql"})

    def test_a_status_without_gateways_is_an_error(self):
        with self.assertRaises(tc.TerangaError) as caught:
            tc.gateways_from_status({"services": []})
        self.assertEqual(caught.exception.code, "NO_GATEWAY")

    def test_parses_and_refuses_gateway_lists(self):
        self.assertEqual(tc.parse_gateways("dakar=http://a, thies=http://b"), {"dakar": "http://a", "thies": "http://b"})
        with self.assertRaises(tc.TerangaError) as caught:
            tc.parse_gateways("dakar")
        self.assertEqual(caught.exception.code, "BAD_USER_INPUT")

    def test_an_unreachable_gateway_is_a_clear_error(self):
        with self.assertRaises(tc.TerangaError) as caught:
            tc.post_graphql("http://127.0.0.1:9/graphql", "{ __typename }", timeout=2)
        self.assertEqual(caught.exception.code, "UNREACHABLE")


@unittest.skipUnless(os.environ.get("TERANGA_STATUS_JSON"), "no cluster: TERANGA_STATUS_JSON not set")
class AgainstTheCluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.environ["TERANGA_STATUS_JSON"], encoding="utf-8") as f:
            cls.gateways = tc.gateways_from_status(json.load(f))

    def test_each_city_goes_to_its_sites_gateway(self):
        for city, site in [("Dakar", "dakar"), ("Mbour", "thies"), ("Saint-Louis", "saint-louis")]:
            client = tc.TerangaClient(self.gateways, city)
            self.assertEqual(client.site(), site)
            self.assertEqual(client.gateway(), self.gateways[site])

    def test_a_query_is_answered_by_the_customers_gateway(self):
        data = tc.TerangaClient(self.gateways, "Thiès").query("{ siteForCity(city: \"Thiès\") }")
        self.assertEqual(data, {"siteForCity": "THIES"})

    def test_an_unknown_city_is_refused_with_its_code(self):
        with self.assertRaises(tc.TerangaError) as caught:
            tc.TerangaClient(self.gateways, "Atlantis").site()
        self.assertNotEqual(caught.exception.code, "")


if __name__ == "__main__":
    unittest.main()
