#include "bnb_ref/hyper.hpp"

namespace bnb_ref {

int state_rows(Algo a) {
  switch (a) {
    case Algo::adam:
    case Algo::lamb: return 2;
    case Algo::ademamix: return 3;
    default: return 1;
  }
}

const char* algo_name(Algo a) {
  switch (a) {
    case Algo::adam: return "adam";
    case Algo::ademamix: return "ademamix";
    case Algo::momentum: return "momentum";
    case Algo::rmsprop: return "rmsprop";
    case Algo::adagrad: return "adagrad";
    case Algo::lion: return "lion";
    case Algo::lamb: return "lamb";
    case Algo::lars: return "lars";
    case Algo::pytorch_lars: return "pytorch_lars";
  }
  return "?";
}

}  // namespace bnb_ref
