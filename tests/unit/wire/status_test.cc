#include "triplex/status.h"

#include <gtest/gtest.h>

namespace triplex {
namespace {

struct Names {
  Code code;
  const char* grpc;
  const char* connect;
};

constexpr Names kAll[] = {
    {Code::kOk, "OK", "ok"},
    {Code::kCancelled, "CANCELLED", "canceled"},
    {Code::kUnknown, "UNKNOWN", "unknown"},
    {Code::kInvalidArgument, "INVALID_ARGUMENT", "invalid_argument"},
    {Code::kDeadlineExceeded, "DEADLINE_EXCEEDED", "deadline_exceeded"},
    {Code::kNotFound, "NOT_FOUND", "not_found"},
    {Code::kAlreadyExists, "ALREADY_EXISTS", "already_exists"},
    {Code::kPermissionDenied, "PERMISSION_DENIED", "permission_denied"},
    {Code::kResourceExhausted, "RESOURCE_EXHAUSTED", "resource_exhausted"},
    {Code::kFailedPrecondition, "FAILED_PRECONDITION", "failed_precondition"},
    {Code::kAborted, "ABORTED", "aborted"},
    {Code::kOutOfRange, "OUT_OF_RANGE", "out_of_range"},
    {Code::kUnimplemented, "UNIMPLEMENTED", "unimplemented"},
    {Code::kInternal, "INTERNAL", "internal"},
    {Code::kUnavailable, "UNAVAILABLE", "unavailable"},
    {Code::kDataLoss, "DATA_LOSS", "data_loss"},
    {Code::kUnauthenticated, "UNAUTHENTICATED", "unauthenticated"},
};

TEST(StatusTest, NamesBothWays) {
  for (const Names& n : kAll) {
    EXPECT_EQ(code_name(n.code), n.grpc);
    EXPECT_EQ(connect_code_name(n.code), n.connect);
    EXPECT_EQ(code_from_name(n.grpc), n.code) << n.grpc;
    EXPECT_EQ(code_from_name(n.connect), n.code) << n.connect;
    EXPECT_EQ(code_from_number(std::to_string(static_cast<int>(n.code))), n.code);
  }
}

TEST(StatusTest, UnknownNames) {
  EXPECT_FALSE(code_from_name(""));
  EXPECT_FALSE(code_from_name("cancelled"));  // Connect spells it "canceled"
  EXPECT_FALSE(code_from_name("CANCELED"));
  EXPECT_FALSE(code_from_name("Not_Found"));
  EXPECT_FALSE(code_from_name("NOT_FOUND "));
}

TEST(StatusTest, CodeFromNumber) {
  EXPECT_EQ(code_from_number("0"), Code::kOk);
  EXPECT_EQ(code_from_number("016"), Code::kUnauthenticated);
  EXPECT_EQ(code_from_number("17"), Code::kUnknown);
  EXPECT_EQ(code_from_number("255"), Code::kUnknown);
  EXPECT_EQ(code_from_number("99999999999999999999999"), Code::kUnknown);
  EXPECT_FALSE(code_from_number(""));
  EXPECT_FALSE(code_from_number("-1"));
  EXPECT_FALSE(code_from_number("+1"));
  EXPECT_FALSE(code_from_number("1a"));
  EXPECT_FALSE(code_from_number(" 1"));
  EXPECT_FALSE(code_from_number("OK"));
}

TEST(StatusTest, ToString) {
  EXPECT_EQ(Status().to_string(), "OK");
  EXPECT_TRUE(Status().ok());
  EXPECT_EQ(Status(Code::kNotFound, "no such user").to_string(), "NOT_FOUND: no such user");
  EXPECT_EQ(Status(Code::kInternal).to_string(), "INTERNAL");
  EXPECT_FALSE(Status(Code::kInternal).ok());
}

TEST(StatusTest, ErrorCarriesStatus) {
  const Error error(Code::kAborted, "try again");
  EXPECT_EQ(error.status().code, Code::kAborted);
  EXPECT_EQ(error.status().message, "try again");
  EXPECT_STREQ(error.what(), "ABORTED: try again");
}

}  // namespace
}  // namespace triplex
