/* How the kernel schedules iotpd's threads against each other. */
#ifndef IOTP_CPU_POLICY_H
#define IOTP_CPU_POLICY_H

/* Puts the calling thread, and every thread it starts from now on, under
 * Linux's SCHED_BATCH policy (see cpu_policy.c): call it before the first
 * thread starts. 0, or a negative errno. */
int cpu_policy_batch(void);

#endif
