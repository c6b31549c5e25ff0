#include "bwoc/core/timestamp.h"

#include <gtest/gtest.h>

namespace bwoc {
namespace {

TEST(Timestamp, ParsesAndFormatsTheEnvelopeForm) {
  auto t = parse_timestamp("2026-11-22T08:00:00.123Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 1795334400123);
  EXPECT_EQ(format_timestamp(*t), "2026-11-22T08:00:00.123Z");
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(*parse_timestamp("2024-02-29T23:59:59.999Z"), 1709251199999);
}

TEST(Timestamp, RefusesEveryOtherSpelling) {
  for (const char* bad : {"2026-11-22T08:00:00Z", "2026-11-22T08:00:00.12Z", "2026-11-22 08:00:00.123Z",
                          "2026-11-22T08:00:00.123+00:00", "2026-11-22t08:00:00.123z", "2026-13-01T00:00:00.000Z",
                          "2025-02-29T00:00:00.000Z", "2026-11-22T24:00:00.000Z", "2026-11-22T08:00:60.000Z",
                          "+026-11-22T08:00:00.123Z", ""}) {
    EXPECT_FALSE(parse_timestamp(bad).ok()) << bad;
  }
}

TEST(Timestamp, RoundTripsAcrossCenturies) {
  for (UnixMillis t = -2208988800000; t < 4102444800000; t += 86'400'000LL * 97 + 3'600'001) {
    EXPECT_EQ(*parse_timestamp(format_timestamp(t)), t);
  }
}

TEST(Timestamp, FormatsTheFirstAndLastFourDigitYearsAndBeyond) {
  auto last = parse_timestamp("9999-12-31T23:59:59.999Z");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(format_timestamp(*last), "9999-12-31T23:59:59.999Z");
  auto first = parse_timestamp("0000-01-01T00:00:00.000Z");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(format_timestamp(*first), "0000-01-01T00:00:00.000Z");
  // Out of the envelope's range the digits still come out, never a wrapped year.
  EXPECT_EQ(format_timestamp(*last + 1), "10000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(*first - 1).substr(0, 3), "-00");
}

TEST(Timestamp, TimeArgumentsAcceptThreeForms) {
  EXPECT_EQ(*parse_time_argument("2026-11-22T08:00:00Z"), 1795334400000);
  EXPECT_EQ(*parse_time_argument("2026-11-22T08:00:00.500Z"), 1795334400500);
  EXPECT_EQ(*parse_time_argument("@1795334400"), 1795334400000);
  EXPECT_FALSE(parse_time_argument("yesterday").ok());
}

TEST(Timestamp, DurationsParseWithUnits) {
  EXPECT_EQ(*parse_duration("300s"), 300'000);
  EXPECT_EQ(*parse_duration("5m"), 300'000);
  EXPECT_EQ(*parse_duration("7d"), 604'800'000);
  EXPECT_EQ(*parse_duration("1h30m"), 5'400'000);
  EXPECT_EQ(*parse_duration("250ms"), 250);
  EXPECT_EQ(*parse_duration("90"), 90'000);
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_FALSE(parse_duration("5x").ok());
  EXPECT_FALSE(parse_duration("-5s").ok());
  EXPECT_FALSE(parse_duration("99999999999d").ok());
  EXPECT_EQ(format_duration(604'800'000), "1w");
  EXPECT_EQ(format_duration(300'000), "5m");
}

}  // namespace
}  // namespace bwoc
