#include "bwoc/core/encoding.h"

#include <gtest/gtest.h>

#include <random>

namespace bwoc {
namespace {

std::string b64(std::string_view s) { return base64_encode(as_bytes(s)); }

// RFC 4648 §10.
TEST(Encoding, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foob"), "Zm9vYg==");
  EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
}

TEST(Encoding, Base64DecoderAcceptsOnlyTheCanonicalSpelling) {
  EXPECT_TRUE(base64_decode("Zm9vYg==").has_value());
  EXPECT_FALSE(base64_decode("Zm9vYh==").has_value());  // non-zero padding bits
  EXPECT_FALSE(base64_decode("Zm9vYg=").has_value());   // short padding
  EXPECT_FALSE(base64_decode("Zm9vYg").has_value());    // no padding
  EXPECT_FALSE(base64_decode("Zm9v Yg==").has_value()); // white space
  EXPECT_FALSE(base64_decode("Zm9v\nYg==").has_value());
  EXPECT_FALSE(base64_decode("Zm=vYg==").has_value());  // padding inside
  EXPECT_FALSE(base64_decode("Zm9-Yg==").has_value());  // URL-safe alphabet
  EXPECT_FALSE(base64_decode("Z===").has_value());
}

TEST(Encoding, Base64RoundTripsRandomBytes) {
  std::mt19937 rng(1);
  for (int n = 0; n < 200; ++n) {
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(n));
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    auto back = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, bytes);
    auto back_url = base64url_decode(base64url_encode(bytes));
    ASSERT_TRUE(back_url.has_value());
    EXPECT_EQ(*back_url, bytes);
  }
}

TEST(Encoding, Base64UrlHasNoPaddingAndSafeCharacters) {
  std::vector<std::uint8_t> bytes = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_FALSE(base64url_decode("Zg==").has_value());
  EXPECT_TRUE(base64url_decode("Zg").has_value());
}

TEST(Encoding, HexIsLowercaseOnly) {
  EXPECT_EQ(hex_encode(as_bytes("\x01\xab")), "01ab");
  EXPECT_TRUE(hex_decode_lower("01ab").has_value());
  EXPECT_FALSE(hex_decode_lower("01AB").has_value());
  EXPECT_FALSE(hex_decode_lower("0").has_value());
}

}  // namespace
}  // namespace bwoc
