// Prometheus exposition of the process metrics.
#include "core/util/metrics.h"

#include <gtest/gtest.h>

namespace dispatch::metrics {
namespace {

TEST(MetricsTest, CountersAndHistogramsRender) {
  Registry& r = global();
  uint64_t before = r.jobsCreated.value();
  r.jobsCreated.inc();
  r.attemptLatency.observeMs(3);
  r.attemptLatency.observeMs(40'000);
  std::string text = render();
  EXPECT_NE(text.find("# TYPE dispatch_jobs_created_total counter"), std::string::npos);
  EXPECT_NE(text.find("dispatch_jobs_created_total " + std::to_string(before + 1) + "\n"),
            std::string::npos);
  EXPECT_NE(text.find("dispatch_attempt_duration_seconds_bucket{le=\"+Inf\"}"), std::string::npos);
  EXPECT_NE(text.find("dispatch_ingest_requests_total{result=\"accepted\"}"), std::string::npos);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Histogram h;
  h.observeMs(1);    // le 0.001
  h.observeMs(7);    // le 0.01
  h.observeMs(999);  // le 1
  std::string out;
  h.render(out, "x", "");
  EXPECT_NE(out.find("x_bucket{le=\"0.001\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{le=\"0.01\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{le=\"1\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_count 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_sum 1.007\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace dispatch::metrics
