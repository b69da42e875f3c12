#include "device_tensors.hpp"

#include <utility>

namespace bnb::app {

DeviceTensors::DeviceTensors(std::shared_ptr<kernels::DeviceBackend> backend, const std::vector<TensorBuffer>& params)
    : backend_(std::move(backend)) {
  try {
    for (const TensorBuffer& p : params) {
      params_.push_back(backend_->allocate(p.bytes()));
      grads_.push_back(backend_->allocate(p.bytes()));
      backend_->upload(params_.back(), p.data(), p.bytes());
    }
  } catch (...) {
    for (void* q : params_) backend_->release(q);
    for (void* q : grads_) backend_->release(q);
    throw;
  }
}

DeviceTensors::~DeviceTensors() {
  try {
    backend_->synchronize();  // no step may still use the memory
  } catch (...) {
    // A failed device reports through the run's own calls; the destructor only releases.
  }
  for (void* p : params_) backend_->release(p);
  for (void* g : grads_) backend_->release(g);
}

void DeviceTensors::upload_grad(std::size_t i, const TensorBuffer& host) { backend_->upload(grads_.at(i), host.data(), host.bytes()); }

void DeviceTensors::download_param(std::size_t i, TensorBuffer& host) const {
  backend_->download(host.data(), params_.at(i), host.bytes());
}

}  // namespace bnb::app
