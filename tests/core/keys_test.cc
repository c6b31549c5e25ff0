#include "bwoc/core/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "bwoc/core/encoding.h"
#include "bwoc/core/files.h"
#include "test_util.h"

namespace bwoc {
namespace {

struct Rfc8032Vector {
  const char* seed;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1, tests 1, 2, 3 and SHA(abc).
const Rfc8032Vector kVectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

std::string unhex(const char* hex) {
  auto raw = hex_decode_lower(hex);
  return std::string(raw->begin(), raw->end());
}

TEST(Keys, Rfc8032VectorsSignAndVerify) {
  for (const auto& v : kVectors) {
    SecretKey key = test::key_from_hex_seed(v.seed);
    EXPECT_EQ(hex_encode(key.public_key().bytes), v.public_key);
    std::string message = unhex(v.message);
    Signature sig = key.sign(message);
    EXPECT_EQ(hex_encode(sig.bytes), v.signature);
    EXPECT_TRUE(verify_signature(key.public_key(), sig, message));
    if (!message.empty()) {
      message[0] ^= 1;
      EXPECT_FALSE(verify_signature(key.public_key(), sig, message));
    }
  }
}

TEST(Keys, PublicKeyTextFormIsStrict) {
  const PublicKey& pk = test::vector_sender().public_key();
  EXPECT_EQ(pk.to_text(), "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  auto back = PublicKey::from_text(pk.to_text());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, pk);
  EXPECT_FALSE(PublicKey::from_text("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").ok());
  EXPECT_FALSE(PublicKey::from_text("ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo").ok());
  EXPECT_FALSE(PublicKey::from_text("ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=").ok());
  EXPECT_FALSE(PublicKey::from_text("ed25519:AAAA").ok());  // 3 bytes
  EXPECT_FALSE(PublicKey::from_text("ed25519: 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").ok());
  EXPECT_EQ(pk.fingerprint().size(), 19u);
}

TEST(Keys, SecretKeyFileRoundTripsWithPrivateModes) {
  test::TempDir dir;
  auto file = dir.path() / "credentials" / "ed25519.secret";
  SecretKey key = SecretKey::generate();
  ASSERT_TRUE(write_secret_key_file(file, key, false).ok());
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(file.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto loaded = load_secret_key_file(file);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  EXPECT_EQ(loaded->public_key(), key.public_key());
}

TEST(Keys, RefusesToReplaceAKeyWithoutForce) {
  test::TempDir dir;
  auto file = dir.path() / "credentials" / "ed25519.secret";
  ASSERT_TRUE(write_secret_key_file(file, SecretKey::generate(), false).ok());
  Status again = write_secret_key_file(file, SecretKey::generate(), false);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), Errc::already_exists);
  EXPECT_TRUE(write_secret_key_file(file, SecretKey::generate(), true).ok());
}

TEST(Keys, RefusesAKeyFileOthersCanRead) {
  test::TempDir dir;
  auto file = dir.path() / "credentials" / "ed25519.secret";
  ASSERT_TRUE(write_secret_key_file(file, SecretKey::generate(), false).ok());
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  auto loaded = load_secret_key_file(file);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), Errc::permission_denied);
  EXPECT_NE(loaded.error().message().find("0644"), std::string::npos);
  EXPECT_NE(loaded.error().message().find("chmod 600"), std::string::npos);
}

TEST(Keys, RefusesACredentialStoreOthersCanWrite) {
  test::TempDir dir;
  auto file = dir.path() / "credentials" / "ed25519.secret";
  ASSERT_TRUE(write_secret_key_file(file, SecretKey::generate(), false).ok());
  ASSERT_EQ(::chmod(file.parent_path().c_str(), 0777), 0);
  auto loaded = load_secret_key_file(file);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), Errc::permission_denied);
}

TEST(Keys, RefusesASymlinkedOrGarbledKeyFile) {
  test::TempDir dir;
  auto real = dir.path() / "credentials" / "real";
  ASSERT_TRUE(write_secret_key_file(real, SecretKey::generate(), false).ok());
  auto link = dir.path() / "credentials" / "ed25519.secret";
  std::filesystem::create_symlink(real, link);
  EXPECT_FALSE(load_secret_key_file(link).ok());

  auto garbled = dir.path() / "credentials" / "garbled";
  ASSERT_TRUE(write_file_atomic(garbled, "ed25519-seed:AAAA\n", 0600).ok());
  auto loaded = load_secret_key_file(garbled);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), Errc::corrupt);
  EXPECT_EQ(load_secret_key_file(dir.path() / "missing").error().code(), Errc::not_found);
}

TEST(Keys, RandomIdsAreHexAndDistinct) {
  std::string a = random_id();
  std::string b = random_id();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(is_valid_envelope_id(a));
}

}  // namespace
}  // namespace bwoc
