#pragma once
// One entry's parameters and gradients on the device (issue 17, `device: "cuda"`): the run loop
// keeps its host TensorBuffers (gradients are generated there, errors and dumps read there) and
// copies between the two outside the timed steps.
#include <memory>
#include <vector>

#include "bnb/kernels/device_backend.hpp"
#include "tensor_buffer.hpp"

namespace bnb::app {

class DeviceTensors {
 public:
  /// Allocates device parameters and gradients of the shapes of `params` and uploads `params`.
  DeviceTensors(std::shared_ptr<kernels::DeviceBackend> backend, const std::vector<TensorBuffer>& params);
  ~DeviceTensors();
  DeviceTensors(const DeviceTensors&) = delete;
  DeviceTensors& operator=(const DeviceTensors&) = delete;

  void* param(std::size_t i) { return params_.at(i); }
  const void* grad(std::size_t i) const { return grads_.at(i); }
  void upload_grad(std::size_t i, const TensorBuffer& host);
  /// Copies parameter i back into `host` (waits for the steps enqueued before).
  void download_param(std::size_t i, TensorBuffer& host) const;
  kernels::DeviceBackend& backend() const { return *backend_; }

 private:
  std::shared_ptr<kernels::DeviceBackend> backend_;
  std::vector<void*> params_, grads_;
};

}  // namespace bnb::app
