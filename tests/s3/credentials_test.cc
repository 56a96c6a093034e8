#include "s3/credentials.h"

#include <gtest/gtest.h>

namespace faasnet::s3 {
namespace {

TEST(CredentialsFile, ParsesProfiles) {
  auto profiles = ParseCredentialsFile(
      "\xEF\xBB\xBF# users of the test store\r\n"
      "[default]\r\n"
      "aws_access_key_id = AKIDDEFAULT\r\n"
      "aws_secret_access_key=secret/with+chars=\r\n"
      "\n"
      "; another comment\n"
      "  [ alice ]  \n"
      "AWS_ACCESS_KEY_ID\t=\tAKIDALICE\n"
      "aws_secret_access_key = alice-secret\n"
      "aws_session_token = tok\n"
      "region = eu-west-1\n"
      "[config-only]\n"
      "region = us-west-2\n");
  ASSERT_TRUE(profiles.ok()) << profiles.status().ToString();
  ASSERT_EQ(profiles->size(), 3u);
  const Profile& d = (*profiles)[0];
  EXPECT_EQ(d.name, "default");
  EXPECT_EQ(d.credentials.access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(d.credentials.secret_access_key, "secret/with+chars=");
  const Profile* alice = FindProfile(*profiles, "alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->credentials.access_key_id, "AKIDALICE");
  EXPECT_EQ(alice->credentials.session_token, "tok");
  EXPECT_EQ(alice->settings.at("region"), "eu-west-1");
  EXPECT_EQ(FindProfile(*profiles, "bob"), nullptr);
  EXPECT_TRUE((*profiles)[2].credentials.access_key_id.empty());
}

TEST(CredentialsFile, ErrorsNameFileAndLine) {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"aws_access_key_id = x\n", "users.ini:1: key outside of any [profile] section"},
      {"[default]\njust some words\n", "users.ini:2: expected"},
      {"[default\n", "users.ini:1: unterminated section header"},
      {"[]\n", "users.ini:1: empty profile name"},
      {"[a]\n[b]\n[a]\n", "users.ini:3: profile [a] appears twice"},
      {"[a]\nregion=x\nregion=y\n", "users.ini:3: key \"region\" repeated in [a]"},
      {"[a]\n = value\n", "users.ini:2: empty key"},
      {"[a]\naws_access_key_id = x\n[b]\n", "users.ini:1: profile [a] has aws_access_key_id without"},
      {"[a]\n\naws_secret_access_key = x\n", "users.ini:1: profile [a] has aws_secret_access_key without"},
  };
  for (const Case& c : cases) {
    auto r = ParseCredentialsFile(c.text, "users.ini");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_TRUE(r.status().message().starts_with(c.message)) << r.status().message() << " vs " << c.message;
  }
}

TEST(CredentialStore, LooksUpAcrossProfiles) {
  auto profiles = ParseCredentialsFile(
      "[alice]\naws_access_key_id=AK1\naws_secret_access_key=S1\n"
      "[bob]\naws_access_key_id=AK2\naws_secret_access_key=S2\n"
      "[settings]\nregion=us-east-1\n");
  ASSERT_TRUE(profiles.ok());
  CredentialStore store;
  ASSERT_TRUE(store.AddProfiles(*profiles).ok());
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.SecretFor("AK1"), "S1");
  EXPECT_EQ(store.SecretFor("AK2"), "S2");
  EXPECT_EQ(store.SecretFor("AK3"), std::nullopt);
  SecretLookup lookup = store.AsLookup();
  EXPECT_EQ(lookup("AK2"), "S2");
  EXPECT_EQ(lookup("nope"), std::nullopt);
  ASSERT_NE(store.Find("AK1"), nullptr);
  EXPECT_EQ(store.Find("AK1")->access_key_id, "AK1");
}

TEST(CredentialStore, ConflictsAndEmptyKeys) {
  CredentialStore store;
  EXPECT_TRUE(store.Add({"AK", "S", ""}).ok());
  EXPECT_TRUE(store.Add({"AK", "S", ""}).ok());
  Status conflict = store.Add({"AK", "OTHER", ""});
  EXPECT_FALSE(conflict.ok());
  EXPECT_NE(conflict.message().find("AK"), std::string::npos);
  EXPECT_FALSE(store.Add({"", "S", ""}).ok());
  EXPECT_FALSE(store.Add({"AK2", "", ""}).ok());
  auto profiles = ParseCredentialsFile("[x]\naws_access_key_id=AK\naws_secret_access_key=DIFFERENT\n");
  Status s = store.AddProfiles(*profiles);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("profile [x]"), std::string::npos);
}

}  // namespace
}  // namespace faasnet::s3
