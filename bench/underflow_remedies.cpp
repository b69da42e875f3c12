// The underflow hazard of 8-bit Adam (docs/eight_bit.md): each remedy, at the same memory as the
// unguarded 8-bit state, on the workloads of one or more configs. For every config and remedy it
// runs Adam with block-wise 8-bit state through the CPU kernels (cpu_step, the code the library
// steps with) next to Adam with fp32 state, both on the config's workload (an objective's gradient
// at each one's own parameters, or a gradient stream), and prints a Markdown row per config:
// rel_travel = ||p8 - p32|| / ||p32 - p0|| (travel_error.hpp) of each remedy and the underflows.
//
//   underflow_remedies CONFIG...           (scripts/underflow-remedies.sh makes results/underflow/)
//   underflow_remedies --floor CONFIG...   what limits the guarded error (underflow_floor.hpp)
//
// The remedies (kernels/include/bnb/kernels/underflow_guard.hpp) plus one that is a different map:
// "no-zero map", the unsigned map with code 0 moved from 0 to the next step of its geometric
// ladder below code 1 (values[1]^2 / values[2]), so that no code decodes to 0.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/underflow_guard.hpp"
#include "bnb/quantize.hpp"
#include "bnb/state_rules.hpp"
#include "config.hpp"
#include "tensor_buffer.hpp"
#include "travel_error.hpp"
#include "underflow_floor.hpp"
#include "workload.hpp"

namespace {

using namespace bnb;
using namespace bnb::app;
namespace k = bnb::kernels;

struct Remedy {
  const char* name;
  k::UnderflowGuard guard;
  bool no_zero_map;
};

constexpr Remedy kRemedies[] = {
    {"off (bitsandbytes)", k::UnderflowGuard::off, false},
    {"no-zero map", k::UnderflowGuard::off, true},
    {"smallest code", k::UnderflowGuard::smallest_code, false},
    {"drop momentum", k::UnderflowGuard::drop_momentum, false},
    {"zero update", k::UnderflowGuard::zero_update, false},
    {"smallest code + drop momentum", k::UnderflowGuard::smallest_code_drop_momentum, false},
    {"drop momentum + unstall", k::UnderflowGuard::drop_momentum_unstall, false},
};

/// The unsigned 8-bit map without its zero (see the header comment).
const k::QuantTable& no_zero_table() {
  static const k::QuantTable t = [] {
    const k::QuantTable& u = quant_table(QuantMap::unsigned_dynamic);
    float values[256];
    for (int i = 0; i < 256; ++i) values[i] = u.values[i];
    values[0] = values[1] * (values[1] / values[2]);
    return k::make_quant_table(values, 256, false);
  }();
  return t;
}

/// One tensor's Adam state in a format, as the library lays it out (param_state.hpp).
struct TensorState {
  std::vector<float> values[2];
  std::vector<std::uint8_t> codes[2];
  std::vector<float> absmax[2];
  StateView view;

  TensorState(std::size_t n, StateFormat f, bool no_zero_map) {
    view.format = f;
    view.rows = 2;
    const FormatCodec& codec = format_codec(f);
    for (int row = 0; row < 2; ++row) {
      const k::QuantTable& t =
          row == 1 && no_zero_map ? no_zero_table() : quant_table(state_map(StateFormat::blockwise8, k::Adam::kRowSigned[row]));
      values[row].assign(f == StateFormat::fp32 ? n : 0, 0.0f);
      codes[row].assign(f == StateFormat::fp32 ? 0 : codec.row_bytes(n), t.zero_code);
      absmax[row].assign(std::max<std::size_t>(codec.scale_count(n, kDefaultBlockSize), 1), 0.0f);
      view.values[row] = values[row].data();
      view.codes[row] = codes[row].data();
      view.absmax[row] = absmax[row].data();
      view.table[row] = &t;
    }
  }
};

struct Outcome {
  std::vector<TensorBuffer> params;
  std::uint64_t underflows = 0;
  std::vector<std::vector<bool>> v_zero_seen;  // per tensor and element: v stored as 0 at some step
};

Outcome run(const Config& c, const Workload& w, double lr, StateFormat f, const Remedy& remedy) {
  Outcome out;
  std::vector<TensorState> states;
  std::vector<TensorBuffer> grads;
  for (std::size_t i = 0; i < w.tensor_count(); ++i) {
    out.params.push_back(w.initial_param(i));
    grads.emplace_back(DType::f32, out.params.back().numel());
    states.emplace_back(out.params.back().numel(), f, remedy.no_zero_map);
    out.v_zero_seen.emplace_back(out.params.back().numel(), false);
  }
  HyperParams h;
  h.lr = lr;
  for (std::int64_t step = 0; step < c.workload.steps; ++step) {
    for (std::size_t i = 0; i < w.tensor_count(); ++i) {
      w.gradient(i, step, out.params[i], grads[i]);
      StepRequest r;
      r.algorithm = Algorithm::adam;
      r.dtype = DType::f32;
      r.n = out.params[i].numel();
      r.param = out.params[i].data();
      r.grad = grads[i].data();
      r.state = states[i].view;
      r.constants = k::Adam::prepare(h, step + 1);
      r.underflow_guard = remedy.guard;
      r.state_rounding_key = k::rounding_key(c.seed, i, step + 1);
      r.threads = c.threads;
      StepReport report;
      k::cpu_step(r, report);
      for (int row = 0; row < 2; ++row) out.underflows += report.underflows[row];
      const std::vector<std::uint8_t>& v = states[i].codes[1];
      for (std::size_t e = 0; e < v.size(); ++e) out.v_zero_seen[i][e] = out.v_zero_seen[i][e] || v[e] == r.state.table[1]->zero_code;
    }
  }
  return out;
}

/// rel_travel of params against the exact run; `share`, when given, receives the part of the
/// squared error in the elements of `only` (per tensor and element).
double rel_travel(const Workload& w, const std::vector<TensorBuffer>& params, const Outcome& exact,
                  const std::vector<std::vector<bool>>* only = nullptr, double* share = nullptr) {
  TravelAccumulator travel;
  double diff_sq = 0, only_sq = 0;
  for (std::size_t i = 0; i < w.tensor_count(); ++i) {
    const std::vector<double> ref = exact.params[i].to_double(1), p = params[i].to_double(1);
    travel.add(ref, w.initial_param(i).to_double(1));
    for (std::size_t j = 0; j < p.size(); ++j) {
      const double d = (p[j] - ref[j]) * (p[j] - ref[j]);
      diff_sq += d;
      if (only != nullptr && (*only)[i][j]) only_sq += d;
    }
  }
  if (share != nullptr) *share = diff_sq > 0 ? only_sq / diff_sq : 0.0;
  return travel.relative(std::sqrt(diff_sq));
}

/// --floor: one row of what is left of the guarded error (underflow_floor.hpp).
void print_floor_row(const Config& c, const Workload& w, double lr, const Outcome& exact) {
  namespace uf = underflow_floor;
  const Outcome guarded = run(c, w, lr, StateFormat::blockwise8, kRemedies[3]);
  double share = 0;
  const double kernels = rel_travel(w, guarded.params, exact, &guarded.v_zero_seen, &share);
  fmt::print("| {} | {:.4g} | {:.3f} |", c.name, kernels, share);
  for (uf::Variant v : {uf::Variant::as_kernels, uf::Variant::fp32_m, uf::Variant::v_nearest_in_inverse_sqrt,
                        uf::Variant::stochastic_m}) {
    fmt::print(" {:.4g} |", rel_travel(w, uf::emulate(c, w, lr, v), exact));
  }
  fmt::print("\n");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const bool floor = argc > 1 && std::string(argv[1]) == "--floor";
    const int first = floor ? 2 : 1;
    if (argc <= first) {
      fmt::print(stderr, "usage: underflow_remedies [--floor] CONFIG...\n");
      return 64;
    }
    if (floor) {
      fmt::print("| workload | drop momentum (kernels) | its error² share in elements whose v was stored as 0 |"
                 " emulated: as the kernels | fp32 m | v nearest in 1/sqrt(v) | stochastic m |\n|---|---|---|---|---|---|---|\n");
    } else {
      fmt::print("| workload |");
      for (const Remedy& m : kRemedies) fmt::print(" {} |", m.name);
      fmt::print("\n|---|");
      for (std::size_t i = 0; i < std::size(kRemedies); ++i) fmt::print("---|");
      fmt::print("\n");
    }
    for (int a = first; a < argc; ++a) {
      const Config c = load_config(argv[a]);
      const Workload w(c, nullptr);
      const double lr = c.optimizers.empty() ? 1e-3 : std::get<double>(c.optimizers.front().args.at("lr"));
      const Outcome exact = run(c, w, lr, StateFormat::fp32, kRemedies[0]);
      if (floor) {
        print_floor_row(c, w, lr, exact);
        continue;
      }
      fmt::print("| {} |", c.name);
      for (const Remedy& m : kRemedies) {
        const Outcome got = run(c, w, lr, StateFormat::blockwise8, m);
        fmt::print(" {:.4g} ({} uf) |", rel_travel(w, got.params, exact), got.underflows);
      }
      fmt::print("\n");
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "underflow_remedies: {}\n", e.what());
    return 70;
  }
}
