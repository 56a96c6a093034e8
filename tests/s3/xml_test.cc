#include "s3/xml.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace faasnet::s3 {
namespace {

TEST(CompleteMultipartUpload, Parses) {
  auto r = ParseCompleteMultipartUpload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Part><PartNumber>1</PartNumber><ETag>\"a54357aff0632cce46d942af68356b38\"</ETag></Part>"
      "<Part><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag><PartNumber> 2 </PartNumber>"
      "<ChecksumCRC32>y/Q5Jg==</ChecksumCRC32></Part>"
      "</CompleteMultipartUpload>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->parts.size(), 2u);
  EXPECT_EQ(r->parts[0].part_number, 1);
  EXPECT_EQ(r->parts[0].etag, "a54357aff0632cce46d942af68356b38");
  EXPECT_EQ(r->parts[1].part_number, 2);
  EXPECT_EQ(r->parts[1].etag, "0c78aef83f66abc1fa1e8477f296d394");
  EXPECT_EQ(r->parts[1].checksum_crc32, "y/Q5Jg==");
  EXPECT_TRUE(r->parts[1].checksum_sha256.empty());
}

TEST(CompleteMultipartUpload, Errors) {
  auto code = [](std::string_view body) {
    auto r = ParseCompleteMultipartUpload(body);
    return r.ok() ? std::string("ok") : r.error().code;
  };
  EXPECT_EQ(code(""), "MalformedXML");
  EXPECT_EQ(code("<CompleteMultipartUpload>"), "MalformedXML");
  EXPECT_EQ(code("<CompleteMultipartUpload></CompleteMultipartUpload>"), "MalformedXML");
  EXPECT_EQ(code("<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>"), "MalformedXML");
  EXPECT_EQ(code("<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>"), "MalformedXML");
  EXPECT_EQ(code("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>"),
            "MalformedXML");
  EXPECT_EQ(code("<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part>"
                 "</CompleteMultipartUpload>"),
            "MalformedXML");
  EXPECT_EQ(code("<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>e</ETag></Part>"
                 "</CompleteMultipartUpload>"),
            "InvalidArgument");
  EXPECT_EQ(code("<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>e</ETag></Part>"
                 "</CompleteMultipartUpload>"),
            "InvalidArgument");
  EXPECT_EQ(code("<CompleteMultipartUpload>"
                 "<Part><PartNumber>2</PartNumber><ETag>e</ETag></Part>"
                 "<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"),
            "InvalidPartOrder");
  EXPECT_EQ(code("<CompleteMultipartUpload>"
                 "<Part><PartNumber>2</PartNumber><ETag>e</ETag></Part>"
                 "<Part><PartNumber>2</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"),
            "InvalidPartOrder");
}

TEST(DeleteObjects, Parses) {
  auto r = ParseDeleteObjects(
      "<Delete><Quiet>true</Quiet><Object><Key>a b&amp;c</Key></Object>"
      "<Object><Key> spaced </Key><VersionId>v1</VersionId></Object></Delete>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->quiet);
  ASSERT_EQ(r->objects.size(), 2u);
  EXPECT_EQ(r->objects[0].key, "a b&c");
  EXPECT_EQ(r->objects[1].key, " spaced ");
  EXPECT_EQ(r->objects[1].version_id, "v1");
  auto loud = ParseDeleteObjects("<Delete><Object><Key>k</Key></Object></Delete>");
  ASSERT_TRUE(loud.ok());
  EXPECT_FALSE(loud->quiet);
}

TEST(DeleteObjects, Errors) {
  EXPECT_EQ(ParseDeleteObjects("<Delete></Delete>").error().code, "MalformedXML");
  EXPECT_EQ(ParseDeleteObjects("<Delete><Object></Object></Delete>").error().code, "MalformedXML");
  EXPECT_EQ(ParseDeleteObjects("<Delete><Quiet>maybe</Quiet><Object><Key>k</Key></Object></Delete>").error().code,
            "MalformedXML");
  EXPECT_EQ(ParseDeleteObjects("<Delete><Object><Key>k</Key></Object>").error().code, "MalformedXML");
  std::string many = "<Delete>";
  for (int i = 0; i < 1000; ++i) many += "<Object><Key>k" + std::to_string(i) + "</Key></Object>";
  EXPECT_TRUE(ParseDeleteObjects(many + "</Delete>").ok());
  EXPECT_EQ(ParseDeleteObjects(many + "<Object><Key>x</Key></Object></Delete>").error().code, "MalformedXML");
}

TEST(CreateBucketConfiguration, Parses) {
  EXPECT_EQ(*ParseCreateBucketConfiguration(""), "");
  EXPECT_EQ(*ParseCreateBucketConfiguration("  \n"), "");
  EXPECT_EQ(
      *ParseCreateBucketConfiguration("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                                      "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"),
      "eu-west-1");
  EXPECT_EQ(*ParseCreateBucketConfiguration("<CreateBucketConfiguration/>"), "");
  EXPECT_EQ(ParseCreateBucketConfiguration("<Foo/>").error().code, "MalformedXML");
  EXPECT_EQ(ParseCreateBucketConfiguration("not xml").error().code, "MalformedXML");
}

TEST(XmlWriter, BuildsEscapedDocuments) {
  XmlWriter w;
  w.Open("ListBucketResult", true);
  w.Element("Name", "b<&>\"'");
  w.Element("MaxKeys", 1000);
  w.Element("Size", uint64_t{18446744073709551615u});
  w.Element("IsTruncated", false);
  w.Open("Contents").Element("Key", std::string_view("k\x01")).Close();
  std::string xml = w.Finish();
  EXPECT_EQ(xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Name>b&lt;&amp;&gt;&quot;&apos;</Name><MaxKeys>1000</MaxKeys><Size>18446744073709551615</Size>"
            "<IsTruncated>false</IsTruncated><Contents><Key>k&#x1;</Key></Contents></ListBucketResult>");
  // The writer starts over after Finish.
  w.Element("A", "b");
  EXPECT_EQ(w.Finish(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<A>b</A>");
}

TEST(XmlWriter, OutputParsesBack) {
  for (std::string key :
       {"odd <key> & \"quotes\" \xe2\x82\xac", " ", "\t\n", "cr\r\nlf", "ctl\x01\x1f", "  leading and trailing  "}) {
    XmlWriter w;
    w.Open("Delete");
    w.Open("Object").Element("Key", key).Close();
    auto parsed = ParseDeleteObjects(w.Finish());
    ASSERT_TRUE(parsed.ok()) << key;
    EXPECT_EQ(parsed->objects[0].key, key);
  }
}

}  // namespace
}  // namespace faasnet::s3
