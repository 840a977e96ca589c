#include "realtime.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace parley::rtp {

std::string TakeThreadPriority(const std::string& priority) {
  if (priority == "realtime") {
    sched_param param{};
    param.sched_priority = 10;
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0) return "realtime (SCHED_FIFO 10)";
  }
  if (priority != "normal" && setpriority(PRIO_PROCESS, pid_t(syscall(SYS_gettid)), -10) == 0) return "high (nice -10)";
  return "normal";
}

}  // namespace parley::rtp
