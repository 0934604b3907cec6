#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "common.h"

#if MG_X86
#include <immintrin.h>
#endif

namespace mg {
namespace {

inline void cpu_relax() {
#if MG_X86
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Workers spin this long for the next job before sleeping on a condition variable: back-to-back kernel
// calls (a training step) then skip the futex wake-up, while an idle process does not burn a core.
constexpr auto kSpin = std::chrono::microseconds(60);

class Pool {
 public:
  // The pool is intentionally leaked (never destroyed): its threads sleep on a condition variable and
  // are torn down with the process, which avoids static-destructor ordering issues at exit.
  static Pool& instance() {
    static Pool* pool = new Pool();
    return *pool;
  }

  int num_threads() const { return desired_.load(std::memory_order_relaxed); }
  void set_num_threads(int n) { desired_.store(std::clamp(n, 1, kMaxThreads), std::memory_order_relaxed); }

  // Parts (tids) are handed out dynamically: the caller runs tid 0, then claims any part no worker has
  // taken yet, so a worker that is slow to wake (busy machine) costs nothing -- the caller just does its
  // share. The caller then waits only for workers that actually claimed a part.
  void run(int nthreads, const std::function<void(int, int)>& fn) {
    nthreads = std::min(nthreads, num_threads());
    if (nthreads <= 1) {
      fn(0, 1);
      return;
    }
    std::unique_lock<std::mutex> run_lock(run_mutex_, std::try_to_lock);
    if (!run_lock.owns_lock()) {
      fn(0, 1);
      return;
    }
    resize_locked(num_threads() - 1);
    nthreads = std::min(nthreads, static_cast<int>(workers_.size()) + 1);
    job_ = &fn;
    gen_ = (gen_ + 1) & 0xffffffffu;
    const uint64_t word = (static_cast<uint64_t>(gen_) << 32) | (static_cast<uint64_t>(nthreads) << 16) | 1u;
    {
      std::lock_guard<std::mutex> lk(m_);
      word_.store(word, std::memory_order_seq_cst);
    }
    cv_work_.notify_all();
    fn(0, nthreads);
    uint64_t w = word_.load(std::memory_order_seq_cst);
    for (int t; (t = claim(&w, gen_)) >= 0;) fn(t, nthreads);
    // Every part is claimed; wait for the workers still running theirs (spin briefly, then sleep).
    const auto start = std::chrono::steady_clock::now();
    int spins = 0;
    while (running_.load(std::memory_order_seq_cst) != 0) {
      cpu_relax();
      if (++spins % 64 == 0 && std::chrono::steady_clock::now() - start > kSpin) {
        std::unique_lock<std::mutex> lk(m_);
        cv_done_.wait(lk, [&] { return running_.load(std::memory_order_seq_cst) == 0; });
        break;
      }
    }
  }

 private:
  Pool() : desired_(default_num_threads()) {}

  static uint32_t gen_of(uint64_t w) { return static_cast<uint32_t>(w >> 32); }

  // word_ = generation (32 bits) | number of parts (16) | next unclaimed part (16). Claims the next part
  // of generation `gen`, or returns -1 when that job has no parts left (or is over).
  int claim(uint64_t* w, uint32_t gen) {
    for (;;) {
      if (gen_of(*w) != gen) return -1;
      const int nth = static_cast<int>((*w >> 16) & 0xffff);
      const int next = static_cast<int>(*w & 0xffff);
      if (next >= nth) return -1;
      if (word_.compare_exchange_weak(*w, *w + 1, std::memory_order_seq_cst)) return next;
    }
  }

  void resize_locked(int nworkers) {
    if (static_cast<int>(workers_.size()) == nworkers) return;
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_.store(true, std::memory_order_seq_cst);
    }
    cv_work_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_.store(false, std::memory_order_seq_cst);
    // Workers start from the current generation (read here, not in the new thread, which might only
    // run after the next job has been published and would then wait for the one after).
    const uint32_t gen = gen_of(word_.load(std::memory_order_seq_cst));
    for (int i = 0; i < nworkers; i++) {
      try {
        workers_.emplace_back([this, gen] { worker_loop(gen); });
      } catch (...) {
        break;  // could not start more threads: run with what we have
      }
    }
  }

  void worker_loop(uint32_t seen) {
    for (;;) {
      const auto start = std::chrono::steady_clock::now();
      int spins = 0;
      while (gen_of(word_.load(std::memory_order_seq_cst)) == seen && !stop_.load(std::memory_order_seq_cst)) {
        cpu_relax();
        if (++spins % 64 == 0 && std::chrono::steady_clock::now() - start > kSpin) {
          std::unique_lock<std::mutex> lk(m_);
          cv_work_.wait(lk, [&] {
            return gen_of(word_.load(std::memory_order_seq_cst)) != seen || stop_.load(std::memory_order_seq_cst);
          });
        }
      }
      if (stop_.load(std::memory_order_seq_cst)) return;
      // Announce ourselves before claiming, so the caller cannot finish while we hold a part; a claim that
      // succeeds proves the job is still live, and job_ stays valid until we leave.
      running_.fetch_add(1, std::memory_order_seq_cst);
      uint64_t w = word_.load(std::memory_order_seq_cst);
      seen = gen_of(w);
      for (int t; (t = claim(&w, seen)) >= 0;) (*job_)(t, static_cast<int>((w >> 16) & 0xffff));
      if (running_.fetch_sub(1, std::memory_order_seq_cst) == 1) {
        std::lock_guard<std::mutex> lk(m_);
        cv_done_.notify_all();
      }
    }
  }

  std::atomic<int> desired_;
  std::mutex run_mutex_;
  std::mutex m_;
  std::condition_variable cv_work_;
  std::condition_variable cv_done_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> word_{0};
  std::atomic<int> running_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(int, int)>* job_ = nullptr;
  uint32_t gen_ = 0;  // caller side only (under run_mutex_)
};

}  // namespace

int default_num_threads() {
  if (const char* env = std::getenv("MOLGROVE_THREADS")) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1) return static_cast<int>(std::min<long>(v, kMaxThreads));
  }
  unsigned hc = std::thread::hardware_concurrency();
  if (hc == 0) hc = 1;
  return static_cast<int>(std::min<unsigned>(hc, kMaxDefaultThreads));
}

int get_num_threads() { return Pool::instance().num_threads(); }

void set_num_threads(int n) { Pool::instance().set_num_threads(n); }

void parallel_for(int nthreads, const std::function<void(int, int)>& fn) { Pool::instance().run(nthreads, fn); }

}  // namespace mg
