// The receiver a delivery is accounted to for congestion: scheme, host and port of its URL.
#include <gtest/gtest.h>

#include "core/delivery/congestion.h"

namespace dispatch::delivery {
namespace {

TEST(ReceiverKey, IsSchemeHostAndPort) {
  EXPECT_EQ(receiverKey("http://127.0.0.1:8080/hook?x=1"), "http://127.0.0.1:8080");
  EXPECT_EQ(receiverKey("https://example.com/a/b"), "https://example.com");
  EXPECT_EQ(receiverKey("https://example.com?q"), "https://example.com");
  EXPECT_EQ(receiverKey("https://example.com#f"), "https://example.com");
  EXPECT_EQ(receiverKey("https://example.com"), "https://example.com");
  EXPECT_EQ(receiverKey("http://[::1]:9000/x"), "http://[::1]:9000");
}

TEST(ReceiverKey, DifferentPortsAreDifferentReceivers) {
  EXPECT_NE(receiverKey("http://127.0.0.1:1/x"), receiverKey("http://127.0.0.1:2/x"));
  EXPECT_EQ(receiverKey("http://127.0.0.1:1/x"), receiverKey("http://127.0.0.1:1/y"));
}

TEST(ReceiverKey, CredentialsAreNotPartOfTheReceiver) {
  EXPECT_EQ(receiverKey("https://user:pw@example.com/x"), "https://example.com");
}

TEST(ReceiverKey, AnythingButHttpIsAReceiverOfItsOwn) {
  EXPECT_EQ(receiverKey(""), "");  // a file destination
  EXPECT_EQ(receiverKey("sqs://queue/a"), "sqs://queue/a");
}

}  // namespace
}  // namespace dispatch::delivery
