"""Debian's python3-boto3 against faasnet's store: the calls the paper's workload and users make."""
import hashlib
import os
import subprocess
import unittest

import botocore.exceptions

from storefixture import StoreServer


class Boto3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = StoreServer().start()
        cls.s3 = cls.server.boto3_client()
        cls.s3.create_bucket(Bucket="boto-bucket")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_put_get_roundtrip_with_metadata(self):
        body = os.urandom(300_000)
        put = self.s3.put_object(Bucket="boto-bucket", Key="dir/obj.bin", Body=body, ContentType="application/x-test",
                                 Metadata={"experiment": "fig4"})
        got = self.s3.get_object(Bucket="boto-bucket", Key="dir/obj.bin")
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(got["ContentType"], "application/x-test")
        self.assertEqual(got["Metadata"], {"experiment": "fig4"})
        self.assertEqual(got["ETag"], put["ETag"])
        self.assertEqual(got["ContentLength"], len(body))

    def test_md5_etag_mode_matches_content_md5(self):
        # Content-MD5 sent by the client is verified; a wrong one is BadDigest.
        body = b"integrity matters"
        import base64
        good = base64.b64encode(hashlib.md5(body).digest()).decode()
        self.s3.put_object(Bucket="boto-bucket", Key="md5", Body=body, ContentMD5=good)
        bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.s3.put_object(Bucket="boto-bucket", Key="md5", Body=body, ContentMD5=bad)
        self.assertEqual(cm.exception.response["Error"]["Code"], "BadDigest")

    def test_checksum_sha256_and_crc32(self):
        for algo in ("SHA256", "CRC32", "CRC32C", "SHA1"):
            r = self.s3.put_object(Bucket="boto-bucket", Key=f"ck-{algo}", Body=b"x" * 1000, ChecksumAlgorithm=algo)
            self.assertIn(f"Checksum{algo}", r)
            h = self.s3.head_object(Bucket="boto-bucket", Key=f"ck-{algo}", ChecksumMode="ENABLED")
            self.assertEqual(h.get(f"Checksum{algo}"), r[f"Checksum{algo}"])

    def test_range_get(self):
        body = bytes(range(256)) * 40
        self.s3.put_object(Bucket="boto-bucket", Key="range", Body=body)
        r = self.s3.get_object(Bucket="boto-bucket", Key="range", Range="bytes=10-19")
        self.assertEqual(r["Body"].read(), body[10:20])
        self.assertEqual(r["ContentRange"], f"bytes 10-19/{len(body)}")
        r = self.s3.get_object(Bucket="boto-bucket", Key="range", Range="bytes=-5")
        self.assertEqual(r["Body"].read(), body[-5:])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.s3.get_object(Bucket="boto-bucket", Key="range", Range=f"bytes={len(body)}-")
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidRange")

    def test_list_with_delimiter_and_pagination(self):
        self.s3.create_bucket(Bucket="list-bucket")
        keys = ["a/1", "a/2", "b/1", "top1", "top2", "c/d/e"]
        for k in keys:
            self.s3.put_object(Bucket="list-bucket", Key=k, Body=b"x")
        r = self.s3.list_objects_v2(Bucket="list-bucket", Delimiter="/")
        self.assertEqual([c["Key"] for c in r["Contents"]], ["top1", "top2"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["a/", "b/", "c/"])
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket="list-bucket", PaginationConfig={"PageSize": 2})
        listed = [c["Key"] for p in pages for c in p.get("Contents", [])]
        self.assertEqual(listed, sorted(keys))
        v1 = self.s3.list_objects(Bucket="list-bucket", Prefix="a/")
        self.assertEqual([c["Key"] for c in v1["Contents"]], ["a/1", "a/2"])

    def test_multipart_upload(self):
        part = 5 * 1024 * 1024
        data = os.urandom(part * 2 + 1234)
        mpu = self.s3.create_multipart_upload(Bucket="boto-bucket", Key="multi")
        parts = []
        for i, off in enumerate(range(0, len(data), part)):
            r = self.s3.upload_part(Bucket="boto-bucket", Key="multi", UploadId=mpu["UploadId"], PartNumber=i + 1,
                                    Body=data[off:off + part])
            parts.append({"PartNumber": i + 1, "ETag": r["ETag"]})
        listed = self.s3.list_parts(Bucket="boto-bucket", Key="multi", UploadId=mpu["UploadId"])
        self.assertEqual([p["PartNumber"] for p in listed["Parts"]], [1, 2, 3])
        done = self.s3.complete_multipart_upload(Bucket="boto-bucket", Key="multi", UploadId=mpu["UploadId"],
                                                 MultipartUpload={"Parts": parts})
        self.assertTrue(done["ETag"].strip('"').endswith("-3"))
        self.assertEqual(self.s3.get_object(Bucket="boto-bucket", Key="multi")["Body"].read(), data)
        # upload_fileobj goes through s3transfer's own multipart path.
        import io
        from boto3.s3.transfer import TransferConfig
        self.s3.upload_fileobj(io.BytesIO(data), "boto-bucket", "transfer",
                               Config=TransferConfig(multipart_threshold=part, multipart_chunksize=part))
        self.assertEqual(self.s3.get_object(Bucket="boto-bucket", Key="transfer")["Body"].read(), data)

    def test_presigned_get_through_curl(self):
        self.s3.put_object(Bucket="boto-bucket", Key="pre signed+key", Body=b"presigned body")
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": "boto-bucket", "Key": "pre signed+key"},
                                             ExpiresIn=60)
        out = subprocess.run(["curl", "-s", "-f", url], capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, b"presigned body")
        tampered = url.replace("pre%20signed", "pre%20signee")
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", tampered], capture_output=True,
                             timeout=30)
        self.assertEqual(out.stdout, b"403")

    def test_wrong_secret_is_signature_does_not_match(self):
        bad = self.server.boto3_client(secret="not-the-secret")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            bad.list_objects_v2(Bucket="boto-bucket")
        self.assertEqual(cm.exception.response["Error"]["Code"], "SignatureDoesNotMatch")

    def test_other_user_cannot_read_and_buckets_are_per_user(self):
        bob = self.server.boto3_client("bob")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            bob.list_objects_v2(Bucket="boto-bucket")
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")
        bob.create_bucket(Bucket="bobs-bucket")
        names = [b["Name"] for b in self.s3.list_buckets()["Buckets"]]
        self.assertNotIn("bobs-bucket", names)

    def test_copy_delete_objects_and_errors(self):
        self.s3.put_object(Bucket="boto-bucket", Key="src", Body=b"copy me", Metadata={"a": "1"})
        self.s3.copy_object(Bucket="boto-bucket", Key="dst", CopySource={"Bucket": "boto-bucket", "Key": "src"})
        got = self.s3.get_object(Bucket="boto-bucket", Key="dst")
        self.assertEqual(got["Body"].read(), b"copy me")
        self.assertEqual(got["Metadata"], {"a": "1"})
        r = self.s3.delete_objects(Bucket="boto-bucket", Delete={"Objects": [{"Key": "src"}, {"Key": "dst"}]})
        self.assertEqual(sorted(d["Key"] for d in r["Deleted"]), ["dst", "src"])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.s3.get_object(Bucket="boto-bucket", Key="src")
        self.assertEqual(cm.exception.response["Error"]["Code"], "NoSuchKey")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.s3.head_bucket(Bucket="no-such-bucket")
        self.assertEqual(cm.exception.response["Error"]["Code"], "404")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.s3.delete_bucket(Bucket="boto-bucket")
        self.assertEqual(cm.exception.response["Error"]["Code"], "BucketNotEmpty")

    def test_conditional_get(self):
        put = self.s3.put_object(Bucket="boto-bucket", Key="cond", Body=b"v1")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.s3.get_object(Bucket="boto-bucket", Key="cond", IfNoneMatch=put["ETag"])
        self.assertEqual(cm.exception.response["Error"]["Code"], "304")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.s3.get_object(Bucket="boto-bucket", Key="cond", IfMatch='"0000"')
        self.assertEqual(cm.exception.response["Error"]["Code"], "PreconditionFailed")
        r = self.s3.get_object(Bucket="boto-bucket", Key="cond", ResponseContentType="text/x-override")
        self.assertEqual(r["ContentType"], "text/x-override")


if __name__ == "__main__":
    unittest.main(verbosity=2)
