#pragma once
// A small CPU emulation of the CUDA execution model, for the host test only: it lets
// step_kernels.cuh run on a machine without a GPU so that the kernels' parallel structure
// (indexing, tails, block reductions, barriers, pass order) is checked against cpu_step.
//
// One thread block runs at a time; its threads are cooperative user-space contexts (ucontext)
// switched round-robin at every __syncthreads and every warp shuffle, which is a barrier as long as
// all threads of the block reach the same sequence of them (true for our kernels). __shared__
// variables become function-local statics: one instance shared by all emulated threads. Not a
// general CUDA emulator: no warp divergence, no memory model, no concurrency between blocks.
#include <ucontext.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <vector>

#define BNB_CUDA_EMULATION 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

namespace bnb::kernels::cuda::emulation {

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

inline Dim3 g_block_idx, g_thread_idx, g_block_dim, g_grid_dim;

class Scheduler {
 public:
  static Scheduler& instance() {
    static Scheduler s;
    return s;
  }

  /// Runs body once per thread of every block of the grid.
  void launch(unsigned grid, unsigned threads, std::size_t shared_bytes, std::function<void()> body) {
    if (threads == 0 || threads > 1024) throw std::invalid_argument("emulated launch: bad block size");
    body_ = std::move(body);
    threads_ = threads;
    dynamic_shared_.assign(shared_bytes / sizeof(float) + 1, 0.0f);
    shuffle_.assign(threads, 0.0f);
    contexts_.resize(threads);
    stacks_.resize(threads);
    g_grid_dim.x = grid;
    g_block_dim.x = threads;
    for (unsigned b = 0; b < grid; ++b) {
      g_block_idx.x = b;
      for (unsigned t = 0; t < threads; ++t) {
        stacks_[t].resize(kStackBytes);
        getcontext(&contexts_[t]);
        contexts_[t].uc_stack.ss_sp = stacks_[t].data();
        contexts_[t].uc_stack.ss_size = stacks_[t].size();
        contexts_[t].uc_link = t + 1 < threads ? &contexts_[t + 1] : &main_;
        makecontext(&contexts_[t], &Scheduler::entry, 0);
      }
      current_ = 0;
      g_thread_idx.x = 0;
      swapcontext(&main_, &contexts_[0]);
    }
  }

  /// __syncthreads: hand over to the next thread; resumes when every other thread got here.
  void sync() {
    const unsigned me = current_;
    const unsigned next = me + 1 < threads_ ? me + 1 : 0;
    switch_to(next);
    swapcontext(&contexts_[me], &contexts_[next]);
  }

  float shuffle_down(float v, unsigned offset) {
    const unsigned me = current_;
    shuffle_[me] = v;
    sync();
    const unsigned lane = me % 32;
    const float out = lane + offset < 32 && me + offset < threads_ ? shuffle_[me + offset] : v;
    sync();
    return out;
  }

  float* dynamic_shared() { return dynamic_shared_.data(); }

 private:
  static constexpr std::size_t kStackBytes = 64 * 1024;

  static void entry() {
    Scheduler& s = instance();
    s.body_();
    const unsigned me = s.current_;
    if (me + 1 < s.threads_) s.switch_to(me + 1);  // uc_link resumes the next thread
  }

  void switch_to(unsigned t) {
    current_ = t;
    g_thread_idx.x = t;
  }

  std::function<void()> body_;
  unsigned threads_ = 0;
  unsigned current_ = 0;
  ucontext_t main_{};
  std::vector<ucontext_t> contexts_;
  std::vector<std::vector<char>> stacks_;
  std::vector<float> dynamic_shared_;
  std::vector<float> shuffle_;
};

inline float* dynamic_shared() { return Scheduler::instance().dynamic_shared(); }

}  // namespace bnb::kernels::cuda::emulation

#define blockIdx ::bnb::kernels::cuda::emulation::g_block_idx
#define threadIdx ::bnb::kernels::cuda::emulation::g_thread_idx
#define blockDim ::bnb::kernels::cuda::emulation::g_block_dim
#define gridDim ::bnb::kernels::cuda::emulation::g_grid_dim

inline void __syncthreads() { ::bnb::kernels::cuda::emulation::Scheduler::instance().sync(); }
inline float __shfl_down_sync(unsigned /*mask*/, float v, unsigned offset) {
  return ::bnb::kernels::cuda::emulation::Scheduler::instance().shuffle_down(v, offset);
}
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
  const unsigned long long old = *p;
  *p = old + v;
  return old;
}
