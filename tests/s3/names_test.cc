#include "s3/names.h"

#include <gtest/gtest.h>

#include <string>

namespace faasnet::s3 {
namespace {

TEST(BucketName, Valid) {
  std::string longest(63, 'b');
  for (std::string_view name :
       {std::string_view("abc"), std::string_view("my-bucket"), std::string_view("my.bucket.name"),
        std::string_view("a1b2c3"), std::string_view("123"), std::string_view(longest), std::string_view("1.2.3"),
        std::string_view("1.2.3.4.5"), std::string_view("xn-abc"), std::string_view("s3alias-prefix")}) {
    EXPECT_TRUE(ValidateBucketName(name).ok()) << name << ": " << ValidateBucketName(name).message;
  }
}

TEST(BucketName, Invalid) {
  std::string too_long(64, 'a');
  for (std::string_view name :
       {std::string_view("ab"), std::string_view(too_long), std::string_view(""), std::string_view("My-Bucket"),
        std::string_view("bucket_name"), std::string_view("-bucket"), std::string_view("bucket-"),
        std::string_view(".bucket"), std::string_view("bucket."), std::string_view("my..bucket"),
        std::string_view("192.168.5.4"), std::string_view("xn--bucket"), std::string_view("bucket-s3alias"),
        std::string_view("bucket--ol-s3"), std::string_view("sthree-bucket"), std::string_view("buc ket"),
        std::string_view("buck\xc3\xa9t")}) {
    S3Error e = ValidateBucketName(name);
    EXPECT_EQ(e.code, "InvalidBucketName") << name;
    EXPECT_EQ(e.http_status, 400);
  }
}

TEST(ObjectKey, Valid) {
  for (std::string_view key : {"a", "dir/sub/file.txt", "dir/", "a//b", "..a", "a..", "a/.hidden", "a/..b/c", "sp ace",
                               "\xe2\x82\xac/\xf0\x9f\x98\x80", "a\\b"}) {
    EXPECT_TRUE(ValidateObjectKey(key).ok()) << key << ": " << ValidateObjectKey(key).message;
  }
  EXPECT_TRUE(ValidateObjectKey(std::string(1024, 'k')).ok());
}

TEST(ObjectKey, Invalid) {
  EXPECT_EQ(ValidateObjectKey(std::string(1025, 'k')).code, "KeyTooLongError");
  EXPECT_EQ(ValidateObjectKey(std::string(1025, 'k')).http_status, 400);
  for (std::string_view key :
       {std::string_view(""), std::string_view("/abs"), std::string_view("."), std::string_view(".."),
        std::string_view("a/./b"), std::string_view("a/../b"), std::string_view("../x"), std::string_view("x/.."),
        std::string_view("x/."), std::string_view("nul\0byte", 8), std::string_view("bad\xff utf8"),
        std::string_view("\xc0\xaf")}) {
    S3Error e = ValidateObjectKey(key);
    EXPECT_EQ(e.code, "InvalidArgument") << key;
  }
}

}  // namespace
}  // namespace faasnet::s3
