#include "default_suite.hpp"

namespace bnb::app {

// 262144 elements in a 2-D weight (8-bit state) and a 512-element bias (below min_8bit_size, so
// 32-bit in every entry), 20 steps of N(0, 0.01^2) gradients: a few seconds per entry pair on a
// 2-core machine, the whole suite well under a minute. SGD and LARS need lr and momentum.
std::string_view default_suite_json() {
  return R"json({
  "schema": 1,
  "name": "default-suite",
  "seed": 1,
  "params": [
    {
      "name": "w",
      "shape": [
        512,
        512
      ],
      "dtype": "fp32",
      "init": {
        "distribution": "normal",
        "scale": 0.1
      }
    },
    {
      "name": "b",
      "shape": [
        512
      ],
      "dtype": "fp32",
      "init": {
        "distribution": "constant",
        "value": 0
      }
    }
  ],
  "workload": {
    "kind": "gradients",
    "steps": 20,
    "distribution": "normal",
    "scale": 0.01
  },
  "reference": {
    "mode": "drift"
  },
  "timing": {
    "warmup_steps": 1,
    "min_time_s": 0.05,
    "min_samples": 5,
    "timeout_s": 2
  },
  "optimizers": [
    {"name": "Adam32bit", "label": "adam-32"},
    {"name": "Adam8bit", "label": "adam-8"},
    {"name": "AdamW32bit", "label": "adamw-32"},
    {"name": "AdamW8bit", "label": "adamw-8"},
    {"name": "AdEMAMix32bit", "label": "ademamix-32"},
    {"name": "AdEMAMix8bit", "label": "ademamix-8"},
    {"name": "LAMB32bit", "label": "lamb-32"},
    {"name": "LAMB8bit", "label": "lamb-8"},
    {"name": "LARS32bit", "label": "lars-32", "lr": 0.01, "momentum": 0.9},
    {"name": "LARS8bit", "label": "lars-8", "lr": 0.01, "momentum": 0.9},
    {"name": "Lion32bit", "label": "lion-32"},
    {"name": "Lion8bit", "label": "lion-8"},
    {"name": "RMSprop32bit", "label": "rmsprop-32"},
    {"name": "RMSprop8bit", "label": "rmsprop-8"},
    {"name": "SGD32bit", "label": "sgd-32", "lr": 0.01, "momentum": 0.9},
    {"name": "SGD8bit", "label": "sgd-8", "lr": 0.01, "momentum": 0.9},
    {"name": "Adagrad32bit", "label": "adagrad-32"},
    {"name": "Adagrad8bit", "label": "adagrad-8"}
  ]
})json";
}

}  // namespace bnb::app
