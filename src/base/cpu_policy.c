/* SCHED_BATCH for a server whose threads hand work to each other.
 *
 * A verification passes through several threads: an HTTP thread writes and
 * wakes a delivery thread, a writer wakes the requests whose group it
 * committed. Under the default policy a woken thread preempts its waker at
 * once when it has run less, so the waker is stopped mid-request, often while
 * it holds the store's writer, and the other threads queue behind a lock
 * whose holder is not running. SCHED_BATCH keeps the thread's share of the
 * CPU (its nice value counts as before) and only gives up that wake-up
 * preemption: the woken thread runs when the waker blocks or its time slice
 * ends. On two shared cores that cut context switches a verified flow by a
 * fifth, and iotpd's CPU a flow by 5-11 %, with no worse p99 at half load
 * (bench/RESULTS.md). Unprivileged processes may choose it. */
#include <errno.h>
#include <sched.h>

#include "base/cpu_policy.h"

int cpu_policy_batch(void)
{
	struct sched_param none = {0};
	/* Linux applies this to the calling thread; pthread_create's default
	 * attributes make every later thread inherit it. */
	return sched_setscheduler(0, SCHED_BATCH, &none) == 0 ? 0 : -errno;
}
