#include "s3client/parse.h"

#include <gtest/gtest.h>

#include "s3/xml.h"

namespace faasnet::s3client {
namespace {

constexpr char kListXml[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix>photos%2F</Prefix>
  <KeyCount>3</KeyCount>
  <MaxKeys>3</MaxKeys>
  <Delimiter>%2F</Delimiter>
  <IsTruncated>true</IsTruncated>
  <EncodingType>url</EncodingType>
  <Contents>
    <Key>photos%2Fmy+cat%2B1.jpg</Key>
    <LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>"fba9dede5f27731c9771645a39863328"</ETag>
    <Size>434234</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>photos%2F%E6%97%A5.png</Key>
    <LastModified>2009-10-12T17:50:31.000Z</LastModified>
    <ETag>&quot;abc-2&quot;</ETag>
    <Size>0</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <CommonPrefixes><Prefix>photos%2F2006%2F</Prefix></CommonPrefixes>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";

TEST(ParseListObjectsV2Test, ReadsUrlEncodedListing) {
  ListObjectsResult r;
  ASSERT_TRUE(ParseListObjectsV2(kListXml, /*url_encoded=*/true, &r).ok());
  ASSERT_EQ(r.objects.size(), 2u);
  EXPECT_EQ(r.objects[0].key, "photos/my cat+1.jpg");
  EXPECT_EQ(r.objects[0].size, 434234u);
  EXPECT_EQ(r.objects[0].etag, "fba9dede5f27731c9771645a39863328");
  EXPECT_EQ(r.objects[0].last_modified, "2009-10-12T17:50:30.000Z");
  EXPECT_EQ(r.objects[0].storage_class, "STANDARD");
  EXPECT_EQ(r.objects[1].key, "photos/\xE6\x97\xA5.png");
  EXPECT_EQ(r.objects[1].etag, "abc-2");
  ASSERT_EQ(r.common_prefixes.size(), 1u);
  EXPECT_EQ(r.common_prefixes[0], "photos/2006/");
  EXPECT_TRUE(r.is_truncated);
  EXPECT_EQ(r.next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  EXPECT_EQ(r.key_count, 3);
}

TEST(ParseListObjectsV2Test, PlainKeysStayAsTheyAre) {
  ListObjectsResult r;
  ASSERT_TRUE(ParseListObjectsV2(kListXml, /*url_encoded=*/false, &r).ok());
  EXPECT_EQ(r.objects[0].key, "photos%2Fmy+cat%2B1.jpg");
}

TEST(ParseListObjectsV2Test, EmptyListing) {
  ListObjectsResult r;
  r.objects.push_back({});  // cleared by the parser
  ASSERT_TRUE(
      ParseListObjectsV2("<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"
                         "</ListBucketResult>",
                         true, &r)
          .ok());
  EXPECT_TRUE(r.objects.empty());
  EXPECT_FALSE(r.is_truncated);
  EXPECT_EQ(r.key_count, 0);
}

TEST(ParseListObjectsV2Test, RejectsMalformed) {
  ListObjectsResult r;
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents>", true, &r).ok());
  EXPECT_FALSE(ParseListObjectsV2("<Other/>", true, &r).ok());
  EXPECT_FALSE(ParseListObjectsV2("", true, &r).ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents>"
                                  "</ListBucketResult>",
                                  true, &r)
                   .ok());
  Status st = ParseListObjectsV2(
      "<ListBucketResult><Contents><Key>%zz</Key><Size>1</Size></Contents>"
      "</ListBucketResult>",
      true, &r);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("ListObjectsV2"), std::string::npos);
}

TEST(MultipartXmlTest, ParsesInitiate) {
  Result<std::string> id = ParseInitiateMultipartUpload(
      R"(<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>)");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "VXBsb2FkIElE");
  EXPECT_FALSE(ParseInitiateMultipartUpload("<InitiateMultipartUploadResult/>").ok());
  EXPECT_FALSE(ParseInitiateMultipartUpload("garbage").ok());
}

TEST(MultipartXmlTest, CompleteBodyRoundTripsThroughTheServerParser) {
  std::vector<s3::CompletedPart> parts(2);
  parts[0].part_number = 1;
  parts[0].etag = "a54357aff0632cce46d942af68356b38";
  parts[1].part_number = 2;
  parts[1].etag = "0c78aef83f66abc1fa1e8477f296d394";
  const std::string xml = CompleteMultipartUploadXml(parts);
  EXPECT_NE(xml.find("<ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag>"), std::string::npos) << xml;
  s3::S3Result<s3::CompleteMultipartUpload> parsed = s3::ParseCompleteMultipartUpload(xml);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->parts.size(), 2u);
  EXPECT_EQ(parsed->parts[1].part_number, 2);
  EXPECT_EQ(parsed->parts[1].etag, "0c78aef83f66abc1fa1e8477f296d394");
}

TEST(MultipartXmlTest, CompleteResponseSuccessAndEmbeddedError) {
  Result<CompleteMultipartOutcome> ok = ParseCompleteMultipartUpload(
      R"(<CompleteMultipartUploadResult><Location>x</Location><Bucket>b</Bucket><Key>k</Key><ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag></CompleteMultipartUploadResult>)");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->etag, "3858f62230ac3c915f300c664312c11f-9");
  EXPECT_TRUE(ok->error_code.empty());

  Result<CompleteMultipartOutcome> err = ParseCompleteMultipartUpload(
      "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message>"
      "</Error>");
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->error_code, "InternalError");
  EXPECT_EQ(err->error_message, "We encountered an internal error. Please try again.");
  EXPECT_FALSE(ParseCompleteMultipartUpload("<Other/>").ok());
}

TEST(HttpErrorTest, ParsesErrorXml) {
  const std::string body = s3::ErrorXml(s3::S3Error::NoSuchKey(), "/b/k", "REQ1");
  HttpError e = ParseHttpError(body, 404);
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.message, "The specified key does not exist.");
}

TEST(HttpErrorTest, EmptyBodiesAreNamedAfterTheStatus) {
  EXPECT_EQ(ParseHttpError("", 404).code, "NotFound");
  EXPECT_EQ(ParseHttpError("", 403).code, "Forbidden");
  EXPECT_EQ(ParseHttpError("  \n", 412).code, "PreconditionFailed");
  EXPECT_EQ(ParseHttpError("", 502).code, "Http502");
  HttpError html = ParseHttpError("<html>bad gateway</html>", 502);
  EXPECT_EQ(html.code, "Http502");
  EXPECT_EQ(html.message, "<html>bad gateway</html>");
}

TEST(HttpErrorTest, StatusNamesOperationObjectAndCode) {
  Status st = HttpErrorStatus("GetObject", "b/k", 404, {"NoSuchKey", "The specified key does not exist."}, 0);
  EXPECT_EQ(st.code(), Status::Code::kNotFound);
  EXPECT_EQ(st.message(), "GetObject b/k: 404 NoSuchKey: The specified key does not exist.");

  st = HttpErrorStatus("PutObject", "b/k", 503, {"SlowDown", "Please reduce your request rate."}, 3);
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_EQ(st.message(), "PutObject b/k: 503 SlowDown: Please reduce your request rate. (after 3 retries)");

  st = HttpErrorStatus("PutObject", "b/k", 403, {"SignatureDoesNotMatch", "x"}, 1);
  EXPECT_EQ(st.code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(st.message(), "PutObject b/k: 403 SignatureDoesNotMatch: x (after 1 retry)");

  st = HttpErrorStatus("HeadObject", "b/k", 404, ParseHttpError("", 404), 0);
  EXPECT_EQ(st.message(), "HeadObject b/k: 404 NotFound: Not Found");
  EXPECT_EQ(HttpErrorStatus("CreateBucket", "b", 409, {"BucketAlreadyOwnedByYou", "m"}, 0).code(),
            Status::Code::kAlreadyExists);
  // A 200 with an <Error> is a server failure, not the caller's.
  EXPECT_EQ(HttpErrorStatus("CompleteMultipartUpload", "b/k", 200, {"InternalError", "m"}, 0).code(),
            Status::Code::kInternal);
}

TEST(HttpErrorTest, ClassifiesAndDecidesRetries) {
  EXPECT_EQ(ClassifyHttpError(503, "SlowDown"), ErrorClass::kThrottled);
  EXPECT_EQ(ClassifyHttpError(429, ""), ErrorClass::kThrottled);
  EXPECT_EQ(ClassifyHttpError(404, "NoSuchKey"), ErrorClass::kNotFound);
  EXPECT_EQ(ClassifyHttpError(403, "AccessDenied"), ErrorClass::kAuth);
  EXPECT_EQ(ClassifyHttpError(500, "InternalError"), ErrorClass::kServerError);
  EXPECT_EQ(ClassifyHttpError(400, "InvalidArgument"), ErrorClass::kClientError);
  EXPECT_EQ(ClassifyHttpError(400, "RequestTimeout"), ErrorClass::kTimeout);
  EXPECT_STREQ(ErrorClassName(ErrorClass::kThrottled), "throttled");

  EXPECT_TRUE(IsRetryableHttp(503, "SlowDown"));
  EXPECT_TRUE(IsRetryableHttp(500, "InternalError"));
  EXPECT_TRUE(IsRetryableHttp(502, "Http502"));
  EXPECT_TRUE(IsRetryableHttp(400, "RequestTimeout"));
  EXPECT_TRUE(IsRetryableHttp(200, "InternalError"));
  EXPECT_FALSE(IsRetryableHttp(404, "NoSuchKey"));
  EXPECT_FALSE(IsRetryableHttp(403, "SignatureDoesNotMatch"));
  EXPECT_FALSE(IsRetryableHttp(400, "InvalidArgument"));
}

TEST(ByteRangeTest, HeaderValue) {
  EXPECT_EQ((ByteRange{0, 99}).HeaderValue(), "bytes=0-99");
  EXPECT_EQ((ByteRange{100, std::nullopt}).HeaderValue(), "bytes=100-");
}

TEST(StripQuotesTest, Etags) {
  EXPECT_EQ(StripQuotes("\"abc\""), "abc");
  EXPECT_EQ(StripQuotes("abc"), "abc");
  EXPECT_EQ(StripQuotes(" \"abc-2\" "), "abc-2");
  EXPECT_EQ(StripQuotes("\""), "\"");
}

}  // namespace
}  // namespace faasnet::s3client
