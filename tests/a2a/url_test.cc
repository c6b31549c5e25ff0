#include "url.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace bwoc::a2a {
namespace {

Url parsed(std::string_view text) {
  auto u = parse_url(text);
  if (!u.ok()) {
    ADD_FAILURE() << text << ": " << u.error().message();
    return Url{};
  }
  return *u;
}

std::string refusal(std::string_view text) {
  auto u = parse_url(text);
  if (u.ok()) {
    ADD_FAILURE() << "accepted: " << text;
    return "";
  }
  EXPECT_EQ(u.error().code(), Errc::invalid_argument);
  return u.error().message();
}

TEST(Url, SchemeHostPortAndTarget) {
  Url u = parsed("http://example.org:8080/a2a?x=1");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "example.org");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/a2a?x=1");
  EXPECT_EQ(u.origin(), "http://example.org:8080");
}

TEST(Url, DefaultPortsFollowTheScheme) {
  EXPECT_EQ(parsed("http://h").port, 80);
  EXPECT_EQ(parsed("https://h").port, 443);
  EXPECT_TRUE(parsed("https://h").tls);
  EXPECT_EQ(parsed("https://h/").origin(), "https://h:443");
}

TEST(Url, AnEmptyPortMeansTheDefault) {
  // RFC 3986 allows "host:" with the port left out.
  EXPECT_EQ(parsed("http://h:/x").port, 80);
  EXPECT_EQ(parsed("https://h:").port, 443);
}

TEST(Url, TheSchemeIsReadWithoutRegardToCase) {
  EXPECT_FALSE(parsed("HTTP://h/").tls);
  EXPECT_TRUE(parsed("HttpS://h/").tls);
}

TEST(Url, TheTargetIsAlwaysAbsoluteAndLosesItsFragment) {
  EXPECT_EQ(parsed("http://h").target, "/");
  EXPECT_EQ(parsed("http://h/").target, "/");
  EXPECT_EQ(parsed("http://h?q=1").target, "/?q=1");
  EXPECT_EQ(parsed("http://h#frag").target, "/");
  EXPECT_EQ(parsed("http://h/a#frag").target, "/a");
  EXPECT_EQ(parsed("http://h/a?b#c?d").target, "/a?b");
  EXPECT_EQ(parsed("http://h//a/../b").target, "//a/../b");  // sent as written
}

TEST(Url, IPv6AddressesGoInBracketsAndComeOutWithout) {
  Url u = parsed("http://[::1]:9000/a2a");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9000);
  EXPECT_EQ(u.origin(), "http://[::1]:9000");
  EXPECT_EQ(parsed("https://[2001:db8::7]").port, 443);
  EXPECT_EQ(parsed("http://[fe80::1]/x").target, "/x");
}

TEST(Url, RefusesIPv6WithoutBracketsOrWithJunkAround) {
  EXPECT_NE(refusal("http://::1/").find("IPv6"), std::string::npos);
  EXPECT_NE(refusal("http://::1:80/").find("IPv6"), std::string::npos);
  refusal("http://[::1/");
  refusal("http://[::1]x/");
  refusal("http://[example.org]/");
  EXPECT_EQ(parsed("http://[::1]:/x").port, 80);
}

TEST(Url, RefusesAnythingButHttpAndHttps) {
  for (const char* text : {"ftp://h/", "file:///etc/passwd", "mqtt://h:1883", "ws://h/", "h:80", "//h/", "http:/h",
                           "http:h", "https//h", "javascript:alert(1)", "", "http", " http://h/"}) {
    EXPECT_NE(refusal(text).find("http"), std::string::npos) << text;
  }
}

TEST(Url, RefusesUserInformation) {
  // Credentials never travel in URLs.
  for (const char* text : {"http://user:pass@h/", "http://user@h/", "https://@h/", "http://h@evil/"}) {
    EXPECT_NE(refusal(text).find("never carries a user name or password"), std::string::npos) << text;
  }
}

TEST(Url, RefusesAnEmptyHost) {
  for (const char* text : {"http:///a2a", "http://:80/", "https://", "http://[]:80/", "http://?x"}) {
    refusal(text);
  }
}

TEST(Url, RefusesBadPorts) {
  for (const char* text : {"http://h:0/", "http://h:65536/", "http://h:99999999999999999999/", "http://h:-1/",
                           "http://h:+80/", "http://h:8a/", "http://h:80:80/", "http://h: 80/", "http://h:0x50/"}) {
    refusal(text);
  }
  EXPECT_EQ(parsed("http://h:65535").port, 65535);
  EXPECT_EQ(parsed("http://h:1").port, 1);
  EXPECT_EQ(parsed("http://h:0080").port, 80);
}

TEST(Url, RefusesSpacesAndControlCharactersAnywhere) {
  for (std::string text : std::vector<std::string>{"http://h /", "http://h/a b", "http://h/\t", "http://h/\r\nHost: evil", "http://h\x7f/",
                           "http://h/\xc3\xa9", std::string("http://h/\0x", 10)}) {
    EXPECT_NE(refusal(text).find("control"), std::string::npos);
  }
}

TEST(Url, AnErrorNeverEchoesControlCharacters) {
  // A URL from a peer's card reaches a terminal through the error message.
  std::string message = refusal("http://h/\x1b]0;owned\x07\x1b[2J");
  for (char c : message) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << message;
}

TEST(Url, AnErrorShowsABoundedPartOfTheUrl) {
  std::string text = "ftp://" + std::string(1000, 'a');
  EXPECT_LT(refusal(text).size(), 400u);
}

TEST(Url, RefusesOverlongUrls) {
  EXPECT_NE(refusal("http://h/" + std::string(3000, 'a')).find("too long"), std::string::npos);
  EXPECT_EQ(parsed("http://h/" + std::string(2000, 'a')).target.size(), 2001u);
}

TEST(Url, JoinsABaseAndAPathWithOneSlash) {
  EXPECT_EQ(join_url("http://h:1", "/a2a"), "http://h:1/a2a");
  EXPECT_EQ(join_url("http://h:1/", "/a2a"), "http://h:1/a2a");
  EXPECT_EQ(join_url("http://h:1///", "a2a"), "http://h:1/a2a");
  EXPECT_EQ(join_url("http://h:1/base", "x"), "http://h:1/base/x");
  EXPECT_EQ(join_url("http://h:1", ""), "http://h:1/");
}

}  // namespace
}  // namespace bwoc::a2a
