"""Debian's awscli (v2) `aws s3` commands against faasnet's store, including a
file over 100 MB (multipart)."""
import filecmp
import os
import subprocess
import unittest

from storefixture import StoreServer

AWS = os.environ.get("FAASNET_AWS", "/usr/bin/aws")


class AwsCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = StoreServer().start()
        cls.tmp = os.path.join(cls.server.workdir, "files")
        os.makedirs(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def aws(self, *args, check=True):
        quiet = ["--only-show-errors"] if args[:2] in (("s3", "cp"), ("s3", "sync"), ("s3", "rm")) else []
        r = subprocess.run([AWS, "--endpoint-url", self.server.endpoint, *args, *quiet],
                           env=self.server.env(), capture_output=True, timeout=300)
        if check:
            self.assertEqual(r.returncode, 0, f"aws {' '.join(args)}: {r.stderr.decode()}")
        return r

    def test_1_mb_cp_ls_large_sync_rm_rb(self):
        self.aws("s3", "mb", "s3://cli-bucket")
        self.assertIn(b"cli-bucket", self.aws("s3", "ls").stdout)
        small = os.path.join(self.tmp, "small.txt")
        with open(small, "w") as f:
            f.write("hello from awscli\n")
        self.aws("s3", "cp", small, "s3://cli-bucket/dir/small.txt")
        self.assertEqual(self.aws("s3", "cp", "s3://cli-bucket/dir/small.txt", "-").stdout, b"hello from awscli\n")
        # Over 100 MB: awscli switches to multipart (8 MiB parts by default).
        big = os.path.join(self.tmp, "big.bin")
        with open(big, "wb") as f:
            for _ in range(105):
                f.write(os.urandom(1_000_000))
        self.aws("s3", "cp", big, "s3://cli-bucket/big.bin")
        back = os.path.join(self.tmp, "big.back")
        self.aws("s3", "cp", "s3://cli-bucket/big.bin", back)
        self.assertTrue(filecmp.cmp(big, back, shallow=False))
        head = self.aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "big.bin").stdout.decode()
        self.assertIn("-", head.split('"ETag"')[1].split(",")[0])  # multipart ETag "<md5>-N"
        listing = self.aws("s3", "ls", "s3://cli-bucket/", "--recursive").stdout.decode()
        self.assertIn("105000000 big.bin", listing)
        self.assertIn("dir/small.txt", listing)
        # sync uploads only what changed.
        src = os.path.join(self.tmp, "tree")
        os.makedirs(os.path.join(src, "sub"))
        for name in ("a.txt", "sub/b.txt", "sub/c.txt"):
            with open(os.path.join(src, name), "w") as f:
                f.write(name * 10)
        self.aws("s3", "sync", src, "s3://cli-bucket/tree/")
        again = self.aws("s3", "sync", src, "s3://cli-bucket/tree/")
        self.assertEqual(again.stdout, b"")
        listing = self.aws("s3", "ls", "s3://cli-bucket/tree/", "--recursive").stdout.decode()
        self.assertEqual(len(listing.strip().splitlines()), 3)
        down = os.path.join(self.tmp, "down")
        self.aws("s3", "sync", "s3://cli-bucket/tree/", down)
        self.assertTrue(filecmp.cmp(os.path.join(src, "sub/c.txt"), os.path.join(down, "sub/c.txt"), shallow=False))
        # rb refuses a non-empty bucket; rm --recursive empties it.
        self.assertNotEqual(self.aws("s3", "rb", "s3://cli-bucket", check=False).returncode, 0)
        self.aws("s3", "rm", "s3://cli-bucket/", "--recursive")
        self.aws("s3", "rb", "s3://cli-bucket")
        self.assertNotIn(b"cli-bucket", self.aws("s3", "ls").stdout)

    def test_2_errors_are_s3_errors(self):
        r = self.aws("s3", "ls", "s3://does-not-exist", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"NoSuchBucket", r.stderr)
        r = self.aws("s3", "mb", "s3://Bad_Bucket", check=False)
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
