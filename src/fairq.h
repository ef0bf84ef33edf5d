/* SPDX-License-Identifier: BSD-2-Clause */
/* The fair queue of jobs for the TPM thread: round-robin across client
 * groups (a pod, or a socket's identity), first come first served within
 * a group, or, when asked, a job that needs no swap before older ones of
 * its group, each passed over a bounded number of times. */
#ifndef TPMPROXY_FAIRQ_H
#define TPMPROXY_FAIRQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How often a job may be passed over: as often as there were jobs in its
 * group when it was queued (itself included), or this often if that is
 * more. */
#define FAIRQ_MIN_PASSES 8

struct job;
struct fairq;

/* Whether a job is cheap to run now (its objects are loaded). */
typedef bool (*fairq_pred)(const struct job *job, void *arg);

int fairq_new(struct fairq **out);
int fairq_push(struct fairq *s, struct job *job);
struct job *fairq_pop(struct fairq *s);
struct job *fairq_pop_preferring(struct fairq *s, fairq_pred pred, void *arg,
    unsigned max_look);
size_t fairq_len(const struct fairq *s);
void fairq_free(struct fairq *s);

#endif
