#pragma once
// Every algorithm, and the compile-time dispatch from the Algorithm enum to its struct.
#include "bnb/kernels/algorithms/adagrad.hpp"
#include "bnb/kernels/algorithms/adam.hpp"
#include "bnb/kernels/algorithms/ademamix.hpp"
#include "bnb/kernels/algorithms/lion.hpp"
#include "bnb/kernels/algorithms/momentum.hpp"
#include "bnb/kernels/algorithms/rmsprop.hpp"

namespace bnb::kernels {

/// Calls f.template operator()<AlgoStruct>() for the run-time algorithm a.
template <class F>
decltype(auto) with_algorithm(Algorithm a, F&& f) {
  switch (a) {
    case Algorithm::adam: return f.template operator()<Adam>();
    case Algorithm::ademamix: return f.template operator()<AdEMAMix>();
    case Algorithm::momentum: return f.template operator()<Momentum>();
    case Algorithm::rmsprop: return f.template operator()<RMSprop>();
    case Algorithm::adagrad: return f.template operator()<Adagrad>();
    case Algorithm::lion: return f.template operator()<Lion>();
    case Algorithm::lamb: return f.template operator()<Lamb>();
    case Algorithm::lars: return f.template operator()<Lars>();
  }
  return f.template operator()<Adam>();
}

}  // namespace bnb::kernels
