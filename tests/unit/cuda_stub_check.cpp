// The CUDA entry points of a build without CUDA (kernels/cuda_stub), checked in every build: the
// stub is compiled into this test alone, so a CUDA build checks it too. `device: "cuda"` in such a
// build must say "this build has no CUDA" (issue 17), never fail to link or crash.
#include <gtest/gtest.h>

#include <string>

#include "bnb/kernels/cuda_step.hpp"

namespace bnb::kernels::cuda {
namespace {

void expect_reason(const auto& call, const std::string& entry_point) {
  try {
    call();
    ADD_FAILURE() << entry_point << " did not throw";
  } catch (const CudaError& e) {
    EXPECT_EQ(std::string(e.what()), entry_point + ": this build has no CUDA");
  }
}

TEST(CudaStub, SaysThisBuildHasNoCuda) {
  EXPECT_FALSE(built_with_cuda());
  std::string why;
  EXPECT_FALSE(cuda_available(&why));
  EXPECT_EQ(why, "this build has no CUDA");
  EXPECT_FALSE(cuda_available(nullptr));
  EXPECT_EQ(managed_bytes_in_use(), 0u);
}

TEST(CudaStub, EveryDeviceEntryPointThrowsTheReason) {
  expect_reason([] { describe_device(0); }, "describe_device");
  expect_reason([] { Stream s; }, "Stream");
  expect_reason([] { DeviceBuffer b(64); }, "DeviceBuffer");
  expect_reason([] { ManagedBuffer b(64); }, "ManagedBuffer");
  StepRequest r;
  StepReport report;
  expect_reason([&] { cuda_step(r, report, nullptr); }, "cuda_step");
}

}  // namespace
}  // namespace bnb::kernels::cuda
