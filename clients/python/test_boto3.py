"""boto3 (botocore's IVS model) against a running openivs, with only the endpoint pointed at it.

    OPENIVS_ENDPOINT=http://127.0.0.1:PORT OPENIVS_ACCESS_KEY_ID=... OPENIVS_SECRET_ACCESS_KEY=... \
    OPENIVS_REGION=us-west-2 python3 clients/python/test_boto3.py

Standard library unittest plus boto3 only. The Rust test `official_clients` (crates/conformance) starts a
fresh server and runs this file.
"""

import os
import random
import re
import string
import sys
import unittest

import boto3
from botocore.config import Config


def _env(name, default=None):
    value = os.environ.get(name, default)
    if not value:
        sys.exit(
            f"{name} is not set: point OPENIVS_ENDPOINT, OPENIVS_ACCESS_KEY_ID and "
            "OPENIVS_SECRET_ACCESS_KEY at a running openivs"
        )
    return value


ENDPOINT = _env("OPENIVS_ENDPOINT")
REGION = _env("OPENIVS_REGION", "us-west-2")
ACCESS_KEY_ID = _env("OPENIVS_ACCESS_KEY_ID")
SECRET_ACCESS_KEY = _env("OPENIVS_SECRET_ACCESS_KEY")

RUN = "".join(random.choices(string.ascii_lowercase + string.digits, k=8))


def name(what):
    return f"py-{what}-{RUN}"


def make_client():
    return boto3.client(
        "ivs",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(retries={"max_attempts": 2, "mode": "standard"}),
    )


class IvsWithBoto3(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = make_client()

    def create_channel(self, **kwargs):
        kwargs.setdefault("name", name("ch"))
        out = self.client.create_channel(**kwargs)
        arn = out["channel"]["arn"]
        self.addCleanup(self._delete_quietly, arn)
        return out

    def _delete_quietly(self, arn):
        try:
            self.client.delete_channel(arn=arn)
        except self.client.exceptions.ResourceNotFoundException:
            pass

    def assert_modeled_error(self, ctx, code, status):
        """Checks the parsed error response of a ClientError caught in `ctx`."""
        err = ctx.exception
        self.assertEqual(err.response["Error"]["Code"], code)
        self.assertTrue(err.response["Error"].get("Message"), f"empty message: {err.response}")
        meta = err.response["ResponseMetadata"]
        self.assertEqual(meta["HTTPStatusCode"], status)
        self.assertTrue(meta.get("RequestId"), f"no RequestId in {meta}")

    def test_create_get_channel(self):
        out = self.create_channel(name=name("create"), type="BASIC", tags={"team": "py"})
        ch = out["channel"]
        self.assertRegex(ch["arn"], rf"^arn:aws:ivs:{re.escape(REGION)}:\d{{12}}:channel/[A-Za-z0-9]{{12}}$")
        self.assertEqual(ch["name"], name("create"))
        self.assertEqual(ch["type"], "BASIC")
        self.assertEqual(ch["latencyMode"], "LOW")
        self.assertEqual(ch["preset"], "")
        self.assertEqual(ch["recordingConfigurationArn"], "")
        self.assertIs(ch["authorized"], False)
        self.assertEqual(ch["tags"], {"team": "py"})
        key = out["streamKey"]
        self.assertEqual(key["channelArn"], ch["arn"])
        key_id = key["arn"].rsplit("/", 1)[1]
        self.assertRegex(key["value"], rf"^sk_{re.escape(REGION)}_{key_id}_[A-Za-z0-9]{{30}}$")

        got = self.client.get_channel(arn=ch["arn"])
        self.assertEqual(got["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertTrue(got["ResponseMetadata"]["RequestId"])
        self.assertEqual(got["channel"], ch)

    def test_list_channels_paginator(self):
        prefix = name("page")
        arns = [self.create_channel(name=f"{prefix}-{i}")["channel"]["arn"] for i in range(5)]
        pages = list(self.client.get_paginator("list_channels").paginate(PaginationConfig={"PageSize": 2}))
        self.assertGreaterEqual(len(pages), 3, "5 channels at 2 a page need at least 3 pages")
        for page in pages:
            self.assertLessEqual(len(page["channels"]), 2)
        for page in pages[:-1]:
            self.assertTrue(page.get("nextToken"), "a page before the last has no nextToken")
        self.assertNotIn("nextToken", pages[-1])
        seen = [c["arn"] for p in pages for c in p["channels"]]
        self.assertEqual(len(seen), len(set(seen)), "a channel was listed twice")
        for arn in arns:
            self.assertIn(arn, seen)
        # build_full_result merges the pages.
        full = self.client.get_paginator("list_channels").paginate(PaginationConfig={"PageSize": 2}).build_full_result()
        self.assertEqual(sorted(c["arn"] for c in full["channels"]), sorted(seen))

    def test_missing_channel_is_resource_not_found(self):
        arn = f"arn:aws:ivs:{REGION}:123456789012:channel/AbCdEfGhIjKl"
        with self.assertRaises(self.client.exceptions.ResourceNotFoundException) as ctx:
            self.client.get_channel(arn=arn)
        self.assert_modeled_error(ctx, "ResourceNotFoundException", 404)

    def test_two_filters_is_conflict(self):
        with self.assertRaises(self.client.exceptions.ConflictException) as ctx:
            self.client.list_channels(
                filterByName="x",
                filterByRecordingConfigurationArn=f"arn:aws:ivs:{REGION}:123456789012:recording-configuration/AbCdEfGhIjKl",
            )
        self.assert_modeled_error(ctx, "ConflictException", 409)

    def test_second_stream_key_is_service_quota_exceeded(self):
        arn = self.create_channel()["channel"]["arn"]
        with self.assertRaises(self.client.exceptions.ServiceQuotaExceededException) as ctx:
            self.client.create_stream_key(channelArn=arn)
        self.assert_modeled_error(ctx, "ServiceQuotaExceededException", 402)

    def test_tags(self):
        arn = self.create_channel(tags={"a": "1"})["channel"]["arn"]
        self.client.tag_resource(resourceArn=arn, tags={"b": "2", "c": "3"})
        self.assertEqual(self.client.list_tags_for_resource(resourceArn=arn)["tags"], {"a": "1", "b": "2", "c": "3"})
        self.client.untag_resource(resourceArn=arn, tagKeys=["a", "c"])
        self.assertEqual(self.client.list_tags_for_resource(resourceArn=arn)["tags"], {"b": "2"})
        self.assertEqual(self.client.get_channel(arn=arn)["channel"]["tags"], {"b": "2"})

    def test_delete_channel(self):
        arn = self.create_channel()["channel"]["arn"]
        out = self.client.delete_channel(arn=arn)
        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 204)
        with self.assertRaises(self.client.exceptions.ResourceNotFoundException):
            self.client.get_channel(arn=arn)


if __name__ == "__main__":
    unittest.main(verbosity=2)
