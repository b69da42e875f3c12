#pragma once
// The CPU kernels' environment settings (BNB_CPU_VARIANT, BNB_CPU_ENCODER, BNB_CPU_BF16; docs/cli.md),
// checked before a run starts: a bad value is the user's configuration (exit 64), not an internal
// error met halfway through the run.

namespace bnb::app {

/// Throws ConfigError naming the setting when one of them has a value the kernels reject.
void check_kernel_environment();

}  // namespace bnb::app
