// Trace validation (DESIGN.md §3.3): pairs init/NAME with grad/NAME and checks that they agree.
#include "bnb/trace.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <utility>

#include "bnb/errors.hpp"

namespace bnb {
namespace {

constexpr std::string_view kInitPrefix = "init/";
constexpr std::string_view kGradPrefix = "grad/";

struct Pair {
  const TensorEntry* init = nullptr;
  const TensorEntry* grad = nullptr;
};

}  // namespace

std::span<const std::byte> TraceParam::grad(std::int64_t step) const {
  const std::size_t bytes = init.size();
  return grads.subspan(static_cast<std::size_t>(step) * bytes, bytes);
}

Trace make_trace(SafetensorsFile file) {
  const std::string& source = file.source();
  const auto fail = [&](const std::string& what) { throw DataError(source + ": invalid trace: " + what); };

  std::map<std::string, Pair, std::less<>> pairs;  // sorted by NAME
  for (const auto& t : file.tensors()) {
    const std::string_view name = t.name;
    if (name.starts_with(kInitPrefix) && name.size() > kInitPrefix.size()) {
      pairs[std::string(name.substr(kInitPrefix.size()))].init = &t;
    } else if (name.starts_with(kGradPrefix) && name.size() > kGradPrefix.size()) {
      pairs[std::string(name.substr(kGradPrefix.size()))].grad = &t;
    } else {
      fail("unexpected tensor '" + t.name + "': a trace holds only init/NAME and grad/NAME");
    }
  }
  if (pairs.empty()) fail("no parameters (expected tensors init/NAME and grad/NAME)");

  Trace trace;
  std::string steps_from;  // the tensor that fixed the step count, for messages
  for (const auto& [name, pair] : pairs) {
    if (!pair.grad) fail("tensor 'init/" + name + "' has no gradients 'grad/" + name + "'");
    if (!pair.init) fail("tensor 'grad/" + name + "' has no initial value 'init/" + name + "'");
    const TensorEntry& init = *pair.init;
    const TensorEntry& grad = *pair.grad;
    const auto dtype = param_dtype_of(init.dtype);
    if (!dtype) {
      fail("tensor '" + init.name + "' has dtype " + std::string(tensor_dtype_name(init.dtype)) +
           ", expected F32, F16 or BF16");
    }
    if (grad.dtype != init.dtype) {
      fail("tensor '" + grad.name + "' has dtype " + std::string(tensor_dtype_name(grad.dtype)) + " but '" +
           init.name + "' has " + std::string(tensor_dtype_name(init.dtype)));
    }
    const bool shape_ok = grad.shape.size() == init.shape.size() + 1 &&
                          std::equal(init.shape.begin(), init.shape.end(), grad.shape.begin() + 1);
    if (!shape_ok) {
      fail("tensor '" + grad.name + "' has shape " + shape_string(grad.shape) + " but '" + init.name + "' has " +
           shape_string(init.shape) + ": expected [steps, " + shape_string(init.shape).substr(1));
    }
    const std::int64_t steps = grad.shape[0];
    if (steps_from.empty()) {
      trace.steps = steps;
      steps_from = grad.name;
    } else if (steps != trace.steps) {
      fail("tensor '" + grad.name + "' holds " + std::to_string(steps) + " steps but '" + steps_from + "' holds " +
           std::to_string(trace.steps));
    }
    trace.params.push_back({name, *dtype, init.shape, init.numel(), init.data, grad.data});
  }
  if (trace.steps < 1) fail("tensor '" + steps_from + "' holds no steps");
  trace.file = std::move(file);  // the views above point into the shared buffer, which moves intact
  return trace;
}

Trace load_trace(const std::string& path) { return make_trace(SafetensorsFile::read(path)); }

}  // namespace bnb
