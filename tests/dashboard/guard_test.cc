// The dashboard's guard: how a request target is read (never decoded into
// a path, refused in any form but the origin form), which Host names it
// answers to, the token's cookie, and what makes a change acceptable.
#include "guard.h"

#include <gtest/gtest.h>

namespace bwoc::dashboard {
namespace {

TEST(GuardTest, ATargetIsItsPathAsSentAndItsQueryDecoded) {
  auto t = parse_target("/inbox?agent=agent-a&limit=20&note=a%20b+c");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/inbox");
  EXPECT_EQ(t->query.at("agent"), "agent-a");
  EXPECT_EQ(t->query.at("limit"), "20");
  EXPECT_EQ(t->query.at("note"), "a b c");
  // The path is never decoded: an encoded dot stays what it is, and matches no page.
  EXPECT_EQ(parse_target("/%2e%2e/etc/passwd")->path, "/%2e%2e/etc/passwd");
  EXPECT_EQ(parse_target("/assets/../app.js")->path, "/assets/../app.js");
}

TEST(GuardTest, TargetsInOtherFormsAreRefused) {
  for (const char* bad : {"", "*", "assets/app.js", "//etc/passwd", "http://127.0.0.1:1/", "127.0.0.1:80",
                          "/a b", "/a\tb", "/a\x01", "/\x7f", "/caf\xc3\xa9", "/#top", "/?a=1&a=2", "/?a=%zz",
                          "/?a=%0a", "/?a=%", "/?a=%4"}) {
    EXPECT_FALSE(parse_target(bad).ok()) << bad;
  }
  EXPECT_FALSE(parse_target("/" + std::string(3000, 'a')).ok());
  EXPECT_TRUE(parse_target("/").ok());
  EXPECT_TRUE(parse_target("/?").ok());
}

TEST(GuardTest, OnlyThisServersNamesAtItsPortAreHosts) {
  Guard g(8765, std::string(64, 'a'));
  EXPECT_TRUE(g.host_allowed("127.0.0.1:8765"));
  EXPECT_TRUE(g.host_allowed("localhost:8765"));
  for (const char* bad : {"", "127.0.0.1", "localhost", "127.0.0.1:8766", "127.0.0.1:87650", "evil.example:8765",
                          "localhost.evil.example:8765", "127.0.0.2:8765", "[::1]:8765", "LOCALHOST:8765",
                          "127.0.0.1:8765 ", "127.0.0.1:8765.evil"}) {
    EXPECT_FALSE(g.host_allowed(bad)) << bad;
  }
}

a2a::WebRequest request(std::vector<std::pair<std::string, std::string>> headers, std::string method = "POST") {
  a2a::WebRequest r;
  r.method = std::move(method);
  r.target = "/api/trust/set";
  r.headers = std::move(headers);
  return r;
}

TEST(GuardTest, TheCookieMustCarryThisRunsTokenUnderThisPortsName) {
  const std::string token(64, 'b');
  Guard g(8765, token);
  EXPECT_EQ(g.cookie_name(), "bwoc_dashboard_8765");
  EXPECT_EQ(g.set_cookie(), "bwoc_dashboard_8765=" + token + "; Path=/; HttpOnly; SameSite=Strict");
  EXPECT_TRUE(g.has_cookie(request({{"cookie", "bwoc_dashboard_8765=" + token}})));
  EXPECT_TRUE(g.has_cookie(request({{"cookie", "other=1; bwoc_dashboard_8765=" + token + "; x=y"}})));
  EXPECT_FALSE(g.has_cookie(request({})));
  EXPECT_FALSE(g.has_cookie(request({{"cookie", "bwoc_dashboard_8766=" + token}})));
  EXPECT_FALSE(g.has_cookie(request({{"cookie", "bwoc_dashboard_8765=" + token + "0"}})));
  EXPECT_FALSE(g.has_cookie(request({{"cookie", "bwoc_dashboard_8765=" + std::string(64, 'c')}})));
  EXPECT_FALSE(g.has_cookie(request({{"cookie", "bwoc_dashboard_8765"}})));
  EXPECT_TRUE(g.token_matches(token));
  EXPECT_FALSE(g.token_matches(token.substr(1)));
  EXPECT_FALSE(g.token_matches(""));
}

TEST(GuardTest, AChangeIsAJsonPostWithTheTokenFromThisOrigin) {
  const std::string token(64, 'd');
  Guard g(8765, token);
  std::vector<std::pair<std::string, std::string>> good = {{"x-bwoc-token", token},
                                                           {"content-type", "application/json"}};
  EXPECT_FALSE(g.refuse_change(request(good)).has_value());
  auto with = [&](std::pair<std::string, std::string> extra) {
    auto h = good;
    h.push_back(std::move(extra));
    return request(h);
  };
  EXPECT_FALSE(g.refuse_change(with({"origin", "http://127.0.0.1:8765"})).has_value());
  EXPECT_FALSE(g.refuse_change(with({"origin", "http://localhost:8765"})).has_value());
  EXPECT_FALSE(g.refuse_change(with({"sec-fetch-site", "same-origin"})).has_value());
  EXPECT_TRUE(g.refuse_change(with({"origin", "http://127.0.0.1:9999"})).has_value());
  EXPECT_TRUE(g.refuse_change(with({"origin", "null"})).has_value());
  EXPECT_TRUE(g.refuse_change(with({"origin", ""})).has_value());
  EXPECT_TRUE(g.refuse_change(with({"sec-fetch-site", "same-site"})).has_value());
  EXPECT_TRUE(g.refuse_change(with({"sec-fetch-site", "cross-site"})).has_value());
  EXPECT_TRUE(g.refuse_change(request({{"content-type", "application/json"}})).has_value());
  EXPECT_TRUE(g.refuse_change(request({{"x-bwoc-token", token}, {"content-type", "text/plain"}})).has_value());
  EXPECT_TRUE(g.refuse_change(request({{"x-bwoc-token", token}})).has_value());
  EXPECT_FALSE(g.refuse_change(request({{"x-bwoc-token", token}, {"content-type", "application/json; charset=utf-8"}}))
                   .has_value());
  EXPECT_TRUE(g.refuse_change(request(good, "GET")).has_value());
}

TEST(GuardTest, EveryAnswerForbidsWhatAPageNeedNotDoAndSaysNothingOfCors) {
  bool csp = false;
  for (const auto& [name, value] : security_headers()) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(lower.rfind("access-control-", 0), std::string::npos) << name;
    if (name == "Content-Security-Policy") {
      csp = true;
      EXPECT_NE(value.find("default-src 'none'"), std::string::npos);
      EXPECT_EQ(value.find("unsafe"), std::string::npos);
      EXPECT_NE(value.find("frame-ancestors 'none'"), std::string::npos);
    }
  }
  EXPECT_TRUE(csp);
}

}  // namespace
}  // namespace bwoc::dashboard
